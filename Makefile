# mlfail: two commands for learners (make lab, make test) and a few for maintainers.
# Every target makes its own virtual environment in .venv (created if missing, reused if present).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: lab test book bench screenshots lint clean help

help:
	@echo "make lab          install the course and open it in JupyterLab"
	@echo "make test         install the test tools and run every test (unit, notebooks, browser)"
	@echo "make book         execute every notebook and write a static site to build/book/"
	@echo "make bench        run the benchmarks, write build/bench/ and the README's table"
	@echo "make screenshots  refresh the README's widget screenshots (needs chromium)"
	@echo "make lint         ruff"

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

lab: $(VENV)/.installed-core
	$(BIN)/mlfail lab

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

book: $(VENV)/.installed-core
	$(BIN)/mlfail run --html build/book

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py --update-readme

screenshots: $(VENV)/.installed-test
	MLFAIL_REFRESH_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check mlfail_widgets tests benchmarks

clean:
	rm -rf build .pytest_cache
