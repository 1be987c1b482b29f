# The two commands: `make run` (the portal with demo data at http://127.0.0.1:8000) and
# `make test` (lint, the import contract and the whole test suite). Both set up everything on a
# fresh machine and are safe and fast to run again. `make dev` is `make run` with debug pages.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
STATIC_MANIFEST := staticfiles/staticfiles.json

.PHONY: run dev test bench install services stop status setup lint format messages clean

# Settings default to production. `make run` keeps them, except HTTPS (it serves plain HTTP on
# loopback) and the secret key, which is the one `make services` generated into var/services.env.
# `make dev`, the tests and the benchmarks run in development mode (debug pages).
run: export DJANGO_DEBUG ?= false
run: export DJANGO_HTTPS ?= false
run: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
run: export DJANGO_SECRET_KEY ?= $(shell sed -n 's/^DJANGO_SECRET_KEY=//p' var/services.env 2>/dev/null)
dev test bench: export DJANGO_DEBUG ?= true

run dev: setup
	@echo "Starting web, worker and beat. The portal is at http://127.0.0.1:8000 (Ctrl-C stops it)."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start

# The suite runs in TEST_WORKERS processes (pytest-xdist), each with its own test database,
# Redis database, SMTP sink, live server and Chromium; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2

test: install services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

bench: setup
	$(PY) -m bench

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Embedded PostgreSQL and Redis, unless DATABASE_URL / REDIS_URL are set.
services: install
	$(PY) -m diplomacy.devservices start

stop:
	$(PY) -m diplomacy.devservices stop

status:
	$(PY) -m diplomacy.devservices status

# Database schema, reference data and static files.
setup: services $(STATIC_MANIFEST)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_places
	$(PY) manage.py load_ties
	$(PY) manage.py load_demo_listings
	$(PY) manage.py write_bulk_downloads --verbosity 0

# Static files as production serves them (hashed names, gzip and Brotli copies; a few minutes
# on two cores), collected again only when a source changed. Always with the production storage,
# whatever the mode: `make dev` does not need them, `make run` does. collectstatic signs nothing,
# but the settings want a key: the development one.
$(STATIC_MANIFEST): $(shell find static -type f) package-lock.json pyproject.toml | services
	DJANGO_DEBUG=false DJANGO_SECRET_KEY="$$(sed -n 's/^DJANGO_SECRET_KEY=//p' var/services.env)" \
		$(PY) manage.py collectstatic --noinput --verbosity 0
	@touch $@

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the Spanish translation catalog after changing interface text.
messages:
	$(PY) manage.py makemessages --locale es --ignore "node_modules/*" --ignore ".venv/*" --ignore "staticfiles/*"
	$(PY) manage.py compilemessages --locale es --ignore ".venv/*" --ignore "node_modules/*"

clean: stop
	rm -rf $(VENV) node_modules staticfiles var
