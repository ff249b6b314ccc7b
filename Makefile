# Cycle CRM developer tasks. `make` (or `make help`) lists them.
#
# Everything installs into the repository: a virtualenv at .venv/ (Python packages pinned with
# hashes in requirements/dev.txt) and frontend/node_modules/ (pinned in package-lock.json).
# Install steps are file targets, so repeated runs only redo what changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules
.DELETE_ON_ERROR:

PYTHON      ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV        ?= .venv
BIN         := $(VENV)/bin
PY          := $(BIN)/python
CYCLECRM    := $(BIN)/cyclecrm
RUN_ADDR    ?= 127.0.0.1:8000
PYTEST_ARGS ?=
CHROMIUM    ?= /usr/bin/chromium

# Install stamps live inside the venv, so deleting .venv/ also forgets them.
PY_STAMP    := $(VENV)/.cyclecrm-installed
NPM_STAMP   := frontend/node_modules/.package-lock.json
VENDOR_DIR  := cyclecrm/web/static/vendor
VENDOR_STAMP := $(VENDOR_DIR)/versions.json

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
export npm_config_fund := false
export npm_config_audit := false
export npm_config_update_notifier := false

.PHONY: help install run test e2e multinode lint format worker bench bench-smoke clean distclean

help: ## Show this help
	@echo "Cycle CRM — make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: PYTEST_ARGS='-k foo -x' (test, e2e), RUN_ADDR=$(RUN_ADDR) (run),"
	@echo "           DATABASE_URL=postgres://... (any target; default is SQLite under ./var)"

# --- installation -----------------------------------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements/dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR_STAMP): $(NPM_STAMP) frontend/build.mjs
	cd frontend && node build.mjs

install: $(PY_STAMP) $(VENDOR_STAMP) ## Create .venv, install pinned Python + npm packages, build frontend assets

# --- running ----------------------------------------------------------------------------------

run: install ## Migrate, collect static, load demo data if the DB is empty, run the dev server
	$(CYCLECRM) migrate --noinput
	$(CYCLECRM) collectstatic --noinput --verbosity 0
	$(CYCLECRM) demo --if-empty
	DEBUG=1 $(CYCLECRM) runserver $(RUN_ADDR)

worker: install ## Run the background-job worker (Huey consumer; SQLite queue, or Redis with REDIS_URL)
	$(CYCLECRM) worker

BENCH_STAMP := $(VENV)/.cyclecrm-bench-installed

$(BENCH_STAMP): requirements/bench.txt $(PY_STAMP)
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.txt
	@touch $@

SCENARIO    ?= scale
BENCH_ARGS  ?=

bench: install $(BENCH_STAMP) ## Run a benchmark: the scale suite (SCENARIO=scale|intelligence|kpis|import|duplicates, BENCH_ARGS=...)
	$(CYCLECRM) bench $(SCENARIO) $(BENCH_ARGS)

# The CI smoke test of the scale suite: the suite's end-to-end test at 10,000 contacts on SQLite,
# and on PostgreSQL too when DATABASE_URL names a server; fails if any measurement had errors.
bench-smoke: install ## The scale suite end to end at 10,000 contacts (DATABASE_URL=postgres://... adds PostgreSQL)
	BENCH_SMOKE_SCALE=10000 $(PY) -m pytest -m bench cyclecrm/core/tests/test_benchsuite_e2e.py \
		cyclecrm/core/benchsuite/tests $(PYTEST_ARGS)

# --- quality ----------------------------------------------------------------------------------

test: install ## Run the test suite except browser tests (PYTEST_ARGS=... to pass options)
	$(PY) -m pytest -m "not e2e and not multinode and not bench" $(PYTEST_ARGS)

e2e: install ## Run the Playwright browser tests (installs Debian's chromium if missing)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "$(CHROMIUM) not found: installing Debian's chromium package"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core; \
	fi
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

multinode: install ## Multi-node test: 2 web processes + 2 workers on PostgreSQL (DATABASE_URL) and Redis
	@if [[ "$${DATABASE_URL:-}" != postgres* ]]; then \
		echo "make multinode needs DATABASE_URL=postgres://... naming a server where it may create a database"; \
		exit 1; \
	fi
	$(PY) -m pytest -m multinode tests/multinode $(PYTEST_ARGS)

lint: $(PY_STAMP) ## Check code style: ruff check + ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(PY_STAMP) ## Reformat code and apply safe ruff fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# --- housekeeping -----------------------------------------------------------------------------

clean: ## Remove build/test artifacts and frontend packages (keeps .venv and var/ data)
	rm -rf frontend/node_modules $(VENDOR_DIR) staticfiles var/static test-artifacts bench/results/tmp
	rm -rf .pytest_cache .ruff_cache build dist *.egg-info $(PY_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and also remove .venv (var/ data is never touched)
	rm -rf $(VENV)
