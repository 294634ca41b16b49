# CI targets (included by the main Makefile, which defines PY, VENV and install). Every
# `run:` step of .github/workflows/*.yml is one of these targets or another make target;
# tests/test_ci.py checks that they exist and runs the ones that need no network.
#
#   make lint-workflows   actionlint over .github/workflows/
#   make ci-runner        a fresh GitHub Ubuntu runner: bubblewrap and user namespaces for the sandbox
#   make ci-matrix        `cells=<json>` (claims x models, config/ci-matrix.yaml) to $GITHUB_OUTPUT or stdout
#   make ci-check CLAIM=<id> MODEL=<model string>   one live check of the matrix
#   make ci-pr-body       write _build/rebuild-pr.md (flag changes, new papers, new records)
#   make ci-open-pr       commit literature/ and results/ to a branch and open a pull request
CLAIM ?=
MODEL ?= local/qwen2.5-coder-0.5b
ACTIONLINT := $(VENV)/bin/actionlint
PR_BODY := _build/rebuild-pr.md
PR_BRANCH ?= rebuild/$(shell date -u +%Y-%m-%d)
# root runs apt-get and sysctl itself; anyone else through sudo (GitHub's runner user has it)
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lint-workflows ci-runner ci-matrix ci-check ci-pr-body ci-open-pr

lint-workflows: install
	$(ACTIONLINT) -no-color .github/workflows/*.yml

# The sandbox for model-written code is bubblewrap, which needs unprivileged user
# namespaces. Ubuntu 24.04 (GitHub's ubuntu-24.04 / ubuntu-latest image) restricts them
# with AppArmor (kernel.apparmor_restrict_unprivileged_userns=1), so bwrap fails with
# "setting up uid map: Permission denied"; the sysctl lifts that for this throwaway VM.
# Kernels without the setting (Debian, older Ubuntu) are left alone.
ci-runner:
	$(AS_ROOT) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(AS_ROOT) apt-get install -y -qq bubblewrap
	@if [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then \
	  $(AS_ROOT) sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; fi
	bwrap --version

ci-matrix: install
	@$(PY) -m codegap.ci.matrix json >> "$${GITHUB_OUTPUT:-/dev/stdout}"

ci-check: install
	@test -n "$(CLAIM)" || { echo "ci-check needs CLAIM=<claim id>"; exit 2; }
	@$(PY) -m codegap.ci.matrix check "$(CLAIM)" "$(MODEL)"
	@if [[ "$(MODEL)" == local/* ]]; then $(MAKE) --no-print-directory model; fi
	@$(PY) -m codegap.cli run --claim "$(CLAIM)" --model "$(MODEL)" \
	  || { echo "FAILED: live check of claim $(CLAIM) on model $(MODEL)" >&2; exit 1; }

ci-pr-body: install
	@mkdir -p $(dir $(PR_BODY))
	$(PY) -m codegap.ci.changes HEAD > $(PR_BODY)
	@cat $(PR_BODY)

ci-open-pr: ci-pr-body
	git switch -c "$(PR_BRANCH)"
	git add literature results
	@if git diff --cached --quiet; then echo "nothing changed; no pull request"; exit 0; fi; \
	  git -c user.name="codegap rebuild" -c user.email="rebuild@users.noreply.github.com" \
	    commit -q -m "Scheduled rebuild: refreshed literature and results" && \
	  git push -u origin "$(PR_BRANCH)" && \
	  gh pr create --title "Scheduled rebuild $(PR_BRANCH)" --body-file $(PR_BODY) --base main
