# Stylus: `make run` (embedded site with demo content) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench install chromium wrk lint check migrate demo serve vendor clean

$(STAMP): requirements/base.txt requirements/production.txt requirements/local.txt requirements/constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/local.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(BIN)/python manage.py serve

chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  ( echo "Installing Debian's chromium for the browser tests…"; \
	    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	    (sudo apt-get update -qq && sudo apt-get install -y -qq chromium) )

test: install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The platform benchmark's load generator (bench_platform falls back to a slower Python one without it).
wrk:
	@command -v wrk >/dev/null 2>&1 || \
	  ( (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 || \
	    (sudo apt-get update -qq && sudo apt-get install -y -qq wrk) >/dev/null 2>&1 || \
	    echo "wrk not installed: bench_platform uses its Python load generator" )

bench: install wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

vendor:
	cd /tmp && npm pack htmx.org@2.0.11 htmx-ext-ws@2.0.4 >/dev/null && \
	  tar xzf htmx.org-2.0.11.tgz && cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx-2.0.11.min.js && rm -rf package && \
	  tar xzf htmx-ext-ws-2.0.4.tgz && cp package/dist/ws.min.js $(CURDIR)/static/vendor/htmx-ext-ws-2.0.4.min.js && rm -rf package

clean:
	rm -rf var/staticfiles .pytest_cache
