# The two commands of the README: `make run` (set up and serve the demo on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run install test lint superuser collectstatic loadtest

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo_content
	DEBUG=1 $(BIN)/python manage.py build_open_data
	@echo "Serving the directory at http://$(HOST)/  (stop with Ctrl+C)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

superuser: install
	DEBUG=1 $(BIN)/python manage.py createsuperuser

# Production builds run this once per release, in the production environment (SECRET_KEY set,
# DEBUG off): hashed, compressed files in STATIC_ROOT for WhiteNoise. See docs/deploy.md.
collectstatic: install
	@test -n "$$SECRET_KEY" || { echo "collectstatic: set the production environment (SECRET_KEY, ...) first; see docs/deploy.md"; exit 1; }
	$(BIN)/python manage.py collectstatic --noinput

# gunicorn + PostgreSQL (database directory_load) + 10,000 synthetic programmes + locust: see
# benchmarks/load_test.sh for its settings. `make loadtest ARGS=--redis` shares the cache in Redis.
loadtest: install
	benchmarks/load_test.sh $(ARGS)
