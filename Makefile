# codegap: two commands for a newcomer — `make book` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CODEGAP := $(VENV)/bin/codegap
# The stamp changes whenever requirements.txt changes, so `make` reinstalls then.
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt pyproject.toml | sha256sum | cut -c1-12)
MODEL ?= local/qwen2.5-coder-0.5b

.PHONY: help install book checks site test validate browser sandbox clean

help:
	@echo "make book   - install, say which live checks are out of date, refresh literature, build _build/html"
	@echo "make checks - rerun the live checks whose inputs changed (model calls: minutes to hours on a CPU)"
	@echo "make test   - install and run the test suite (builds the book and checks it in headless Chromium)"

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

validate: install
	$(CODEGAP) validate

# A real Chromium-family browser for the headless checks: use the one the machine has
# (tests/browser_support.py asks each candidate for its version, so Ubuntu's snap stub does
# not count; GitHub's images ship Chrome and Chromium); install Debian's chromium only on
# Debian, where it is the real browser.
browser: install
	@$(PY) tests/browser_support.py || { . /etc/os-release; if [ "$$ID" = debian ]; then \
	  as_root=$$([ "$$(id -u)" = 0 ] || echo sudo); $$as_root apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$as_root apt-get install -y -qq chromium >/dev/null && $(PY) tests/browser_support.py; \
	  else echo "no Chromium-family browser found: install Google Chrome or Chromium (not Ubuntu's snap stub), or set CODEGAP_BROWSER"; exit 1; fi; }

# bubblewrap: the kernel sandbox for model-written code (Debian/Ubuntu package; needs root or
# sudo). Then one line saying what contains model code here (see codegap/sandbox.py).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
sandbox: install
	@command -v bwrap >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap >/dev/null; }
	@$(PY) -m codegap.sandbox

-include mk/models.mk
-include mk/fetch.mk
-include mk/ci.mk

# Builds from what is recorded: a live check on a CPU takes minutes to hours, so `make book`
# only says which checks' records are out of date on $(MODEL); `make checks` reruns those.
book: install validate sandbox
	$(MAKE) model
	$(CODEGAP) run --model $(MODEL) --if-changed --dry-run
	$(MAKE) fetch-offline
	$(CODEGAP) book

# Rerun the live checks whose inputs changed since their latest record (model calls; slow on a CPU).
checks: install validate sandbox
	$(MAKE) model
	$(CODEGAP) run --model $(MODEL) --if-changed

# Rebuild the site from what is recorded, without running anything.
site: install
	$(CODEGAP) book

test: install browser sandbox model-smol
	$(PY) -m pytest

clean:
	rm -rf _build book/generated
