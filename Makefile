# Active Citizen: `make run` serves the site on this machine, `make test` checks everything.
# Settings pass through from the environment (DATABASE_URL, SMS_BACKEND, PORT …; see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# Parallel test workers (pytest-xdist): "auto" is one per CPU; 0 runs in one process.
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -p no:cacheprovider
SUITE := $(PYTEST) -m "not browser" -n $(TEST_WORKERS)

.PHONY: help run install test test-sqlite test-postgres e2e lint fmt bench messages clean

help:
	@echo "make run            serve the site on http://127.0.0.1:$(PORT) with demo data (PORT=…)"
	@echo "make test           ruff, the suite on SQLite and on PostgreSQL, the browser journeys"
	@echo "make test-sqlite    the suite on SQLite (PostgreSQL-only tests are skipped)"
	@echo "make test-postgres  the suite on PostgreSQL (\$$DATABASE_URL, 127.0.0.1:5432 or a throwaway cluster)"
	@echo "make e2e            the browser journeys in Chromium"
	@echo "make lint / fmt     ruff check and format check / reformat"
	@echo "make bench          benchmarks (figures, not tests)"
	@echo "make messages       update and compile the Russian translations"
	@echo "make install        (re)install the dependencies into $(VENV)"
	@echo "make clean          remove caches, test artefacts and benchmark results"

# --- The virtualenv: created when missing, reinstalled when pyproject.toml changes ------------

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: | $(PY)
	$(PY) -m pip install -e '.[dev]'
	@touch $(STAMP)

# --- Run ---------------------------------------------------------------------------------------

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "  Active Citizen: open http://127.0.0.1:$(PORT), sign in with any Russian mobile number,"
	@echo "  e.g. +7 999 100-00-01 (a demo resident) or +7 999 000-00-01 (the admin);"
	@if [ "$${SMS_BACKEND:-console}" = console ]; then \
	  echo "  the code is printed in this console. Periodic tasks run alongside. Ctrl-C stops."; \
	else \
	  echo "  the code goes to SMS_BACKEND=$$SMS_BACKEND (file: $${SMS_FILE:-$${VAR_DIR:-var}/sms.jsonl}). Ctrl-C stops."; \
	fi
	@echo
	@$(PY) manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# --- Tests -------------------------------------------------------------------------------------

# Every step runs even when an earlier one fails; the summary says which failed and how long
# each took, and the exit status is non-zero when any did.
test: $(STAMP)
	@failed=""; summary=""; \
	for step in lint test-sqlite test-postgres e2e; do \
	  echo; echo "=== make $$step"; \
	  start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$step; then result=passed; else result=FAILED; failed="$$failed $$step"; fi; \
	  summary="$$summary$$(printf '  %-14s %-7s %4ss' $$step $$result $$(( $$(date +%s) - start )))\n"; \
	done; \
	echo; echo "=== make test"; printf "$$summary"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; \
	echo "all passed"

test-sqlite: $(STAMP)
	DATABASE_URL= $(SUITE)

test-postgres: $(STAMP)
	$(PY) scripts/with_postgres.py -- $(SUITE)

e2e: $(STAMP)
	$(PYTEST) -m browser

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# --- Benchmarks, translations, cleaning --------------------------------------------------------

bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk (Debian package) for the load"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	@mkdir -p bench/results
	@set -e; for script in bench/bench_*.py; do echo "=== $$script"; $(PY) $$script; done

messages: $(STAMP)
	$(PY) manage.py makemessages -l ru --no-obsolete --ignore=bench --ignore=scripts --ignore=var --ignore='*/tests/*' --ignore=conftest.py
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var

clean:
	rm -rf .pytest_cache .ruff_cache .mypy_cache .hypothesis var/e2e-artifacts bench/results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
