# CFT Tracker. Two commands on a fresh machine with Python 3.12+: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DEBUG ?= 1

# The first interpreter that is Python 3.12 or newer (pyenv reads .python-version for the shims).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: run test test-fast test-journeys lint bench install migrate seed clean messages compilemessages

# axe-core for the journey tests' accessibility checks, from npm (skipped, with the journeys, without npm).
AXE := tests/journeys/node_modules/axe-core/axe.min.js

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ]; then echo "CFT Tracker needs Python 3.12 or newer (python3.13 or python3.12 on PATH); none was found." >&2; exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(AXE): tests/journeys/package.json tests/journeys/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/journeys --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the journey tests will skip (they need axe-core)" >&2; fi

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Web server, Celery worker and Celery beat together, in the foreground (Ctrl-C stops all three).
## Emailed links follow the port served (this is the one place SITE_URL is derived; set SITE_URL to override).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: seed
	$(PY) manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

## The whole suite: unit tests, then the integration tests (real worker, broker, browser).
test: install $(AXE)
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not integration and not browser"

## The journeys alone: the running product (make run) driven in Chromium; docs/journeys.md.
test-journeys: install $(AXE)
	$(PY) -m pytest tests/journeys

## The patient's pages and emails in Norwegian Bokmål: extract their strings into locale/nb (needs GNU gettext),
## translate the new entries, then compile; commit the .po and the .mo (tests need no gettext).
messages: install
	$(PY) manage.py makemessages -l nb -e html,txt,py --add-location=file --ignore=.venv --ignore=tests --ignore=var --ignore=bench

compilemessages: install
	$(PY) manage.py compilemessages -l nb --ignore=.venv

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Benchmarks on PostgreSQL and Redis (defaults: database cft_bench, created if missing, and Redis db 14).
bench: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cft_bench} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/14} \
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) var
