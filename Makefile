# Two commands on a fresh machine:   make run   (the product)   and   make test   (every test).
# Both create the virtual environment and install what they need first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Production servers for `make test-services` (CI sets nothing: these are the machine's own).
SERVICES_REDIS_URL    ?= redis://127.0.0.1:6379/0
SERVICES_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: install run test test-services lint typecheck browser bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Guangmingding needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/gmd run

browser:
	@scripts/ensure-chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

test: $(STAMP) browser lint typecheck
	$(BIN)/pytest -q

# The tests that reach Redis or the database, again on the production servers
# (PostgreSQL, Redis); tests of the embedded defaults themselves are left out, and so are
# the pure ones, which would only repeat themselves (tests/conftest.py keeps the marks true).
test-services: $(STAMP) browser
	GMD_TEST_REDIS_URL=$(SERVICES_REDIS_URL) GMD_TEST_DATABASE_URL=$(SERVICES_DATABASE_URL) \
		$(BIN)/pytest -q -m "not embedded and (integration or browser)"

bench: $(STAMP)
	for b in bench/[a-z]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .gmd .pytest_cache .mypy_cache .ruff_cache
