.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the registry with its dev tools

run: install ## Migrate and seed the default database (SQLite under ./data/), then serve on :8000
	$(BIN)/registry db upgrade
	$(BIN)/registry seed
	$(BIN)/registry serve

test: install ## Run the tests on SQLite and PostgreSQL
	$(BIN)/pytest -n 2

lint: install ## Check style and types (ruff, mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy registry seed api reports bench tests

bench: install ## Benchmark the API on a synthetic registry against Datasette (prints a table)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run --no-cache

format: install ## Reformat the code (ruff)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtualenv and the local database
	rm -rf $(VENV) data

.PHONY: help install run test lint format bench clean
