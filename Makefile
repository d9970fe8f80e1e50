# Movilidad — the same commands on a laptop and in CI. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VENV

.PHONY: help install demo serve test lint format typecheck check-schema check-catalogue messages lock ci bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: $(BIN)/.installed ## Create .venv with the pinned dependencies

demo: install ## Run the demo office on SQLite under ./var (ARGS="--port 8001 --data-dir var2")
	$(BIN)/movilidad demo $(ARGS)

test: install ## Run the whole test suite: SQLite + Chromium, then PostgreSQL
	bash scripts/test.sh $(ARGS)

lint: install ## ruff, template format, import boundaries, translations
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/ruff format --check src tests migrations scripts bench
	$(BIN)/djlint --check --lint src/movilidad/web/templates
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_messages.py

typecheck: install ## mypy (strict on the domain core)
	$(BIN)/mypy

check-schema: install ## alembic check: models and migrations match
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	MOVILIDAD_DATA_DIR=$$d $(BIN)/movilidad db upgrade && \
	MOVILIDAD_DATA_DIR=$$d $(BIN)/movilidad db check

check-catalogue: install ## Validate the pathway catalogue (file:line: reason)
	$(BIN)/movilidad pathways check

bench: install ## Run the benchmarks (prints figures and the machine)
	$(BIN)/python bench/screen_one.py
	$(BIN)/python bench/rescreen_caseload.py
	$(BIN)/python bench/appointment_burst.py
	$(BIN)/python bench/identity_linkage.py
	$(BIN)/python bench/identity_registry.py

format: install ## Format Python and templates in place
	$(BIN)/ruff format src tests migrations scripts bench
	$(BIN)/ruff check --fix src tests migrations scripts bench
	$(BIN)/djlint --reformat src/movilidad/web/templates

messages: install ## Extract translatable text and update every catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
	  --project=Movilidad --copyright-holder="Movilidad contributors" -o locale/movilidad.pot .
	$(BIN)/pybabel update -D movilidad -i locale/movilidad.pot -d locale --no-fuzzy-matching --ignore-obsolete --width 100

lock: ## Re-pin requirements.lock from pyproject.toml (needs network)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q --upgrade pip
	.venv-lock/bin/python -m pip install -q -e '.[dev]'
	(echo "# Pinned versions of every dependency (runtime and development)."; \
	 echo "# Regenerate: make lock"; \
	 .venv-lock/bin/pip freeze --exclude-editable | grep -v '^movilidad') > requirements.lock
	rm -rf .venv-lock

ci: lint typecheck check-schema check-catalogue test ## Everything CI runs

clean: ## Remove the virtual environment and demo data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
