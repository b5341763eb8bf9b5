# Tramita: the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export FLASK_APP := wsgi

.PHONY: run test install install-prod lint typecheck test-fast migrate seed worker beat clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Production: the app and its runtime dependencies only, no development tools, as a regular
## (not editable) install; `make install-prod VENV=/srv/tramita/venv`. English catalogs are
## compiled inside the installed package, so the app never writes there at run time.
install-prod:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q .
	cd / && $(abspath $(BIN))/python -c 'from app.i18n import compile_catalogs; compile_catalogs()'

# The sandbox payment gateway `make run` starts beside the app (demo values, not secrets).
SANDBOX_PORT ?= 5001
SANDBOX_ENV := GATEWAY_NAME=sandbox GATEWAY_URL=http://127.0.0.1:$(SANDBOX_PORT) \
	GATEWAY_API_KEY=sandbox-demo-api-key GATEWAY_WEBHOOK_SECRET=sandbox-demo-webhook-secret

## Serve the demo municipality on http://127.0.0.1:5000 (SQLite, in-process tasks), with the
## sandbox payment gateway on http://127.0.0.1:$(SANDBOX_PORT) (stopped when the app stops).
run: install
	mkdir -p instance
	DEMO_MODE=1 $(BIN)/flask --app wsgi db upgrade
	DEMO_MODE=1 $(BIN)/flask --app wsgi demo seed
	$(SANDBOX_ENV) SANDBOX_NOTIFY_URL=http://127.0.0.1:5000/pagos/webhook/sandbox \
		$(BIN)/python -m sandbox_gateway --host 127.0.0.1 --port $(SANDBOX_PORT) & \
	sandbox=$$!; trap 'kill $$sandbox 2>/dev/null; wait $$sandbox 2>/dev/null' EXIT INT TERM; \
	DEMO_MODE=1 INLINE_SWEEPER=1 INLINE_EFFECTS=thread $(SANDBOX_ENV) \
		$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

migrate: install
	DEMO_MODE=1 $(BIN)/flask --app wsgi db upgrade

seed: install
	DEMO_MODE=1 $(BIN)/flask --app wsgi demo seed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

## The whole suite: lint, types, unit, integration (SQLite + PostgreSQL), Celery worker, walkthroughs.
## TEST_WORKERS processes share the tests (pytest-xdist; one file's tests stay together, so its
## module fixtures are built once); TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: install lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow and not postgres and not redis and not browser"

# The demo's worker and beat (`make run`'s database); production: README "Production deployment".
worker: install
	DEMO_MODE=1 $(BIN)/celery -A app.celery_worker worker --loglevel=info

beat: install
	mkdir -p instance
	DEMO_MODE=1 $(BIN)/celery -A app.celery_worker beat --loglevel=info

bench: install
	$(BIN)/python bench/engine.py --backend sqlite --cases 200 --json

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
