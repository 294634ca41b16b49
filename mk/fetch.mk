# Literature fetcher targets (included by the main Makefile, which defines PY, VENV and
# install). The CI targets of the workflows (ci-*, lint-workflows) are in mk/ci.mk.
#
#   make fetch            fetch newer literature (offline mirror unless CODEGAP_FETCH_MODE=live)
#   make fetch-offline    same search over the offline arXiv mirror (what `make book` uses); without a
#                         mirror it says in one line that the literature was not refreshed, and goes on
#   make fetch-live       live arXiv + Semantic Scholar APIs (the weekly CI job)

.PHONY: fetch fetch-offline fetch-live

fetch: install
	$(PY) -m codegap.cli fetch

fetch-offline: install
	$(PY) -m codegap.cli fetch --offline --if-mirror

fetch-live: install
	$(PY) -m codegap.cli fetch --live
