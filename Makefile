# mlfail: two commands for learners (make lab, make test) and a few for maintainers.
# Every target makes its own virtual environment in .venv (created if missing, reused if present).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: lab test book bench screenshots lint clean help hub-deps hub-check

help:
	@echo "make lab          install the course and open it in JupyterLab"
	@echo "make test         install the test tools and run every test (unit, notebooks, browser)"
	@echo "make book         execute every chapter and build the course website in build/book/ (Sphinx)"
	@echo "make hub-deps     install JupyterHub's proxy (configurable-http-proxy, npm) into .venv/chp"
	@echo "make hub-check    start the course's JupyterHub, run chapter 00 for three users, stop it"
	@echo "make bench        run the benchmarks, write build/bench/ and the README's table"
	@echo "make screenshots  refresh the README's widget screenshots (needs chromium)"
	@echo "make lint         ruff and mypy"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed-core

# JupyterHub's proxy comes from npm, into a project-local prefix (version 5 needs Node 20; Debian 12's
# Node 18 gets version 4, which JupyterHub supports too). Without npm, make test still runs
# (the hub test is skipped, except under CI=true, where .ci/run installs npm first).
$(VENV)/.installed-hub: | $(BIN)/python
	@if command -v npm >/dev/null 2>&1; then \
		major=$$(node -p 'process.versions.node.split(".")[0]'); \
		version=5; [ "$$major" -ge 20 ] || version=4; \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/chp configurable-http-proxy@$$version && touch $@; \
	else echo "npm not found: the JupyterHub test will be skipped (apt-get install npm, then make hub-deps)"; fi

hub-deps: $(VENV)/.installed-test $(VENV)/.installed-hub

hub-check: hub-deps
	$(BIN)/python deploy/hubcheck.py

lab: $(VENV)/.installed-core
	$(BIN)/mlfail lab

test: $(VENV)/.installed-test $(VENV)/.installed-hub
	$(BIN)/python -m pytest

book: $(VENV)/.installed-test
	$(BIN)/python deploy/book/build.py --out build/book

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py --update-readme

screenshots: $(VENV)/.installed-test
	MLFAIL_REFRESH_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q
	MLFAIL_REFRESH_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_book.py -q -k chromium

lint: $(VENV)/.installed-test
	$(BIN)/ruff check mlfail_widgets tests benchmarks
	$(BIN)/python -m mypy

clean:
	rm -rf build .pytest_cache
