.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
# What WeasyPrint needs to draw PDFs (pango, harfbuzz's subsetter, an offline font).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

# Two test workers (`TEST_WORKERS=N` to choose). Three finished the suite about 7 % sooner on 2
# cores, but loaded the machine enough that the 64-client load test's server stalled past its
# keep-alive once (a client saw its connection closed).
TEST_WORKERS ?= 2

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package to the versions the tests passed with, so a release made
# upstream today cannot change a fresh install (update it with `pip freeze` after an upgrade).
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt
# uv installs in seconds what takes pip a minute (compiling bytecode, as pip does); where uv
# cannot be had, pip installs.
INSTALL = { $(PIP) uv 2>/dev/null && \
  $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -c constraints.txt $(1); } \
  || $(PIP) $(1)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(call INSTALL,-e .)
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(call INSTALL,-e '.[dev]')
	touch $(STAMP) $(DEV_STAMP)

install: $(STAMP) ## Create .venv and install the registry (what `make run` needs)

install-dev: $(DEV_STAMP) ## Also install the tools for tests and lint

system: ## Install the Debian packages the PDF reports need, where missing
	@if command -v dpkg >/dev/null; then \
	  missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then echo "installing $$missing"; \
	    apt-get update -qq && apt-get install -y -qq $$missing; fi; \
	else echo "not Debian: install pango and a font for PDF reports yourself"; fi

browser: ## Install Debian's chromium for the browser tests, where missing (CI does)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

run: install system ## Migrate and seed the default database (SQLite under ./data/), then serve the API and staff pages on :8000
	$(BIN)/registry db upgrade
	$(BIN)/registry seed
	$(BIN)/registry serve

test: install-dev system ## Run the tests on SQLite and PostgreSQL
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: install-dev ## Check style and types (ruff, mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy registry seed api reports bench tests

bench: install-dev system ## Benchmark the API (against Datasette) and the reports on a synthetic registry
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(call INSTALL,-e '.[bench]')
	$(BIN)/python -m bench.run --no-cache
	$(BIN)/python -m bench.reports
	$(BIN)/python -m bench.served_reports
	$(BIN)/python -m bench.imports

format: install-dev ## Reformat the code (ruff)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtualenv and the local database
	rm -rf $(VENV) data

.PHONY: help install install-dev system browser run test lint format bench clean
