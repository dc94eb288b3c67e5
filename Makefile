# The two commands: `make run` and `make test`. Everything else is set-up they do themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test chat lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Create the virtualenv, migrate the SQLite database and start the bot with a demo.
run: $(STAMP)
	$(BIN)/turnout serve --host $(HOST) --port $(PORT) --demo

## Stoplight Prism, for the Twilio contract test, installed under .tools/ (not globally).
.tools/prism/.installed:
	npm install --prefix .tools/prism --no-audit --no-fund @stoplight/prism-cli@5
	touch $@

## axe-core, for the browser tests' accessibility checks, installed under .tools/ (not globally).
.tools/axe/.installed:
	npm install --prefix .tools/axe --no-audit --no-fund axe-core@4
	touch $@

## The whole suite, on SQLite and PostgreSQL (PostgreSQL half skipped with a note if unreachable;
## the browser tests skipped with a note when no Chromium is found).
test: $(STAMP) .tools/prism/.installed .tools/axe/.installed
	$(BIN)/pytest -n 2 -q --ignore=tests/browser
	$(BIN)/pytest -n 2 -q -rs tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.webhook

clean:
	rm -rf $(VENV) turnout.db .pytest_cache .mypy_cache .ruff_cache

## Talk to the bot in the terminal (same flows and database as `make run`).
chat: $(STAMP)
	$(BIN)/turnout chat
