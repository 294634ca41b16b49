# Literature fetcher and scheduled-rebuild targets (included by the main Makefile,
# which defines PY, VENV and install). Every step of .github/workflows/rebuild.yml
# is one of these targets; tests/test_fetch_workflows.py checks that they exist
# and runs the ones that need no network.
#
#   make fetch            fetch newer literature (offline mirror unless CODEGAP_FETCH_MODE=live)
#   make fetch-offline    same search over the offline arXiv mirror (what `make book` uses)
#   make fetch-live       live arXiv + Semantic Scholar APIs (the weekly CI job)
#   make lint-workflows   actionlint over .github/workflows/
#   make ci-matrix        `cells=<json>` (claims x models, config/ci-matrix.yaml) to $GITHUB_OUTPUT or stdout
#   make ci-check CLAIM=<id> MODEL=<model string>   one live check of the matrix
#   make ci-pr-body       write _build/rebuild-pr.md (flag changes, new papers, new records)
#   make ci-open-pr       commit literature/ and results/ to a branch and open a pull request
CLAIM ?=
MODEL ?= local/qwen2.5-coder-0.5b
ACTIONLINT := $(VENV)/bin/actionlint
PR_BODY := _build/rebuild-pr.md
PR_BRANCH ?= rebuild/$(shell date -u +%Y-%m-%d)

.PHONY: fetch fetch-offline fetch-live lint-workflows ci-matrix ci-check ci-pr-body ci-open-pr

fetch: install
	$(PY) -m codegap.cli fetch

fetch-offline: install
	$(PY) -m codegap.cli fetch --offline

fetch-live: install
	$(PY) -m codegap.cli fetch --live

lint-workflows: install
	$(ACTIONLINT) -no-color .github/workflows/*.yml

ci-matrix: install
	@$(PY) -m fetch.matrix json >> "$${GITHUB_OUTPUT:-/dev/stdout}"

ci-check: install
	@test -n "$(CLAIM)" || { echo "ci-check needs CLAIM=<claim id>"; exit 2; }
	@$(PY) -m fetch.matrix check "$(CLAIM)" "$(MODEL)"
	@if [[ "$(MODEL)" == local/* ]]; then $(MAKE) --no-print-directory model; fi
	@$(PY) -m codegap.cli run --claim "$(CLAIM)" --model "$(MODEL)" \
	  || { echo "FAILED: live check of claim $(CLAIM) on model $(MODEL)" >&2; exit 1; }

ci-pr-body: install
	@mkdir -p $(dir $(PR_BODY))
	$(PY) -m fetch.changes HEAD > $(PR_BODY)
	@cat $(PR_BODY)

ci-open-pr: ci-pr-body
	git switch -c "$(PR_BRANCH)"
	git add literature results
	@if git diff --cached --quiet; then echo "nothing changed; no pull request"; exit 0; fi; \
	  git -c user.name="codegap rebuild" -c user.email="rebuild@users.noreply.github.com" \
	    commit -q -m "Scheduled rebuild: refreshed literature and results" && \
	  git push -u origin "$(PR_BRANCH)" && \
	  gh pr create --title "Scheduled rebuild $(PR_BRANCH)" --body-file $(PR_BODY) --base main
