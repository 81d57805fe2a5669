# Auttamo: `make run` starts the app with demo data on SQLite; `make test` runs every check.
# Both build on `make install`, which can be run any number of times.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint typecheck layers pytest migrate demo serve worker bench format clean

install: $(VENV)/.installed node_modules/.installed  ## virtualenv + Python and npm packages

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

migrate: install  ## create or upgrade the database (DATABASE_URL, default var/auttamo.sqlite3)
	$(BIN)/auttamo migrate

demo: migrate  ## demo users, team and processes
	$(BIN)/auttamo demo

run: demo  ## install, migrate, seed the demo and serve on http://$(HOST):$(PORT)
	$(BIN)/auttamo serve --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/auttamo worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest -q

test: lint typecheck layers pytest  ## every check: ruff, mypy, import layers, pytest (SQLite + PostgreSQL)

bench: install  ## benchmarks; figures go in the README
	$(BIN)/python -m bench.run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache
