# Two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint typecheck pytest install assets clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

portal/static/vendor/.built: node_modules/.installed assets/portal.scss scripts/build-assets.mjs
	npm run --silent build
	touch $@

install: $(VENV)/.installed
assets: portal/static/vendor/.built

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

run: install assets instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) demo logins
	PORTAL_REQUIRE_2FA_FOR_ADMINS=false $(FLASK) run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The whole suite on SQLite, then again on PostgreSQL when PORTAL_TEST_DATABASE_URL is set.
# Each run is spread over one worker per core, each worker with its own database;
# browser tests share one worker (--dist loadgroup). The 25 slowest tests are listed.
PYTEST := $(BIN)/pytest -n $(or $(PYTEST_WORKERS),auto) --dist loadgroup --durations=25
pytest: install assets
	PORTAL_TEST_DATABASE_URL= $(PYTEST)
	@if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL"; \
		$(PYTEST); \
	else \
		echo "PORTAL_TEST_DATABASE_URL is not set: the PostgreSQL run is left to CI"; \
	fi

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules portal/static/vendor
