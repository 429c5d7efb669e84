# Two commands on a fresh machine:
#   make run    set up, build the database (live sources, or INEQUALITY_MIRROR=DIR), start the app
#   make test   set up (virtualenv + Debian browser packages) and run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup system-deps run-deps debs data run test bench clean

setup: $(VENV)/.installed

# The project itself is installed editable, so `$(VENV)/bin/inequality` (the console script)
# runs from any folder without activating the virtualenv.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Debian packages: Pango and fonts for WeasyPrint's PDF briefings (also needed by `make run`);
# headless Chromium, its driver and pdftoppm for the browser and PDF tests. Needs root or sudo.
DEBS_RUN := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
DEBS_TEST := $(DEBS_RUN) chromium chromium-driver poppler-utils

system-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(DEBS_TEST)"

run-deps:
	@$(MAKE) --no-print-directory debs DEBS="$(DEBS_RUN)"

debs:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then \
	  echo "Debian packages present: $(DEBS)"; \
	elif command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "no apt-get: install $$missing by hand (browser/PDF tests will be skipped)"; \
	fi

# Build (or refresh) the database; copies from $$INEQUALITY_MIRROR when set, else downloads.
data: setup run-deps
	$(PY) -m inequality build

run: data
	$(PY) dashboard.py --server.port $(PORT) --server.headless true

test: setup system-deps
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_build.py
	$(PY) benchmarks/bench_summary.py
	$(PY) benchmarks/bench_pages.py

clean:
	rm -rf $(VENV) data/raw data/*.duckdb tests/artifacts
