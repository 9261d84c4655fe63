# Quick start: `make run` (the app on sample data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
PORT ?= 8501

.PHONY: run test test-fast lint format install install-dev system-deps bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(APT) update -qq && $(APT) install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian packages the tests use: LibreOffice (Calc and Writer) converts fixtures and renders the report and the
# documents to PDF, poppler reads the PDF, PostgreSQL runs the store tests a second time (the tests start their own
# server on a local port),
# Chromium is the browser Playwright drives (never `playwright install`), nginx fronts two app replicas in the
# deployment test over TLS with a certificate openssl makes (the tests start it on loopback; the package's own
# service is not used).
system-deps:
	@command -v soffice >/dev/null 2>&1 && dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 && \
	  command -v pdfinfo >/dev/null 2>&1 && \
	  command -v chromium >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
	  test -x /usr/sbin/nginx && command -v openssl >/dev/null 2>&1 || { \
	  $(APT) update -qq && $(APT) install -y -qq --no-install-recommends libreoffice-calc-nogui libreoffice-writer-nogui \
	  fonts-liberation fonts-dejavu-core poppler-utils postgresql chromium nginx-light openssl; }

run: $(VENV)/.runtime
	$(BIN)/python app.py --server.address 127.0.0.1 --server.port $(PORT)

# The lint gate: ruff's rules (pyproject.toml) and its formatter; `make format` applies both.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# loadgroup: tests marked with one xdist_group (the heaviest browser flows) run one after another on one worker.
test: lint system-deps
	$(BIN)/python -m pytest -n auto --dist loadgroup

# The inner loop: everything but the tests that need a real LibreOffice, PostgreSQL, Chromium or nginx (the
# markers come from the fixtures they use: tests/conftest.py).
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -n auto -m "not libreoffice and not postgresql and not browser and not nginx"

sample: $(VENV)/.runtime
	$(BIN)/python -m scoring sample -o sample_data

# Every benchmark, one at a time, then one table of each figure beside its target and baseline (about 20 min).
bench: $(VENV)/.dev system-deps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
