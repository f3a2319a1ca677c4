# Stratum — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The first Python >= 3.11 on the PATH (pyenv's shims for missing versions print to stderr).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
# Two workers: CI has 2 cores; the suite takes about 8 minutes that way.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint format bench smoke install install-dev lock clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Stratum needs Python 3.11 or newer on the PATH." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs are exactly the versions in uv.lock: requirements/*.txt are exported from it with
# every file's hash, and the installer refuses anything else. The installer is uv (a PyPI wheel,
# itself pinned by hash in requirements/bootstrap.txt, the lock's uv entry), put in place by the
# pip that every venv has: uv installs the ~90 packages of a fresh `make run` in seconds where
# pip took a quarter of a minute, and from its cache when they were downloaded before.
# The project itself goes in without dependencies. To upgrade: make lock (README, "Dependencies").
$(BIN)/uv: requirements/bootstrap.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/bootstrap.txt
	@touch $@

UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(VENV)/.installed: requirements/base.txt pyproject.toml | $(BIN)/uv
	$(UV_INSTALL) --require-hashes -r requirements/base.txt
	$(UV_INSTALL) --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/uv
	$(UV_INSTALL) --require-hashes -r requirements/dev.txt
	$(UV_INSTALL) --no-deps -e .
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# E-mails link to SITE_URL; on another PORT they must point at that port too.
run: export SITE_URL ?= http://127.0.0.1:$(or $(PORT),8000)
run: install
	@# No system checks here: runserver runs them as web starts, beside the worker and beat.
	$(BIN)/python manage.py migrate --noinput --skip-checks
	@echo
	@echo "  Stratum is starting at http://127.0.0.1:$${PORT:-8000}/  (Ctrl-C stops web, worker and beat)"
	@echo "  Links in e-mails start with $(SITE_URL); the demo accounts follow \"Demo data ready\"."
	@echo
	@# The demo data loads while web, worker and beat start: both take seconds of CPU, and on
	@# two cores they overlap (SQLite in WAL mode, writers wait their turn). Ctrl-C stops both.
	$(BIN)/python manage.py seed_demo & $(BIN)/honcho --procfile Procfile.dev start --port $${PORT:-8000}

# Import contracts first (layers, domain order, no cross-app cycle: pyproject.toml
# [tool.importlinter], docs/architecture.md); a broken one fails the run before any test.
test: install-dev
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Scale s by default; e.g. make bench BENCH_ARGS="--scale l --duration 30 --record".
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

smoke: install-dev
	bash deploy/smoke.sh

# Re-resolve every dependency to its newest allowed version, then export the hashed
# requirements the installs use. Review the diff of uv.lock, run make test, commit all three.
lock: install-dev
	$(BIN)/uv lock --upgrade
	$(BIN)/uv export --frozen --quiet --no-emit-project --no-dev --format requirements-txt -o requirements/base.txt
	$(BIN)/uv export --frozen --quiet --no-emit-project --extra dev --format requirements-txt -o requirements/dev.txt
	$(BIN)/python tools/bootstrap_requirements.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
