# Two commands on a fresh machine:
#   make run    set up, build the database (live sources, or INEQUALITY_MIRROR=DIR), start the app
#   make test   set up (virtualenv + Debian browser packages) and run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup system-deps data run test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Headless Chromium and its driver for the browser test (Debian packages; needs root or sudo).
system-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && command -v pdftoppm >/dev/null; then \
	  echo "chromium, chromedriver and poppler-utils present"; \
	elif command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null; \
	else \
	  echo "no apt-get: the browser test will be skipped"; \
	fi

# Build (or refresh) the database; copies from $$INEQUALITY_MIRROR when set, else downloads.
data: setup
	$(PY) -m inequality build

run: data
	$(VENV)/bin/streamlit run dashboard.py --server.port $(PORT) --server.headless true

test: setup system-deps
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_build.py
	$(PY) benchmarks/bench_summary.py
	$(PY) benchmarks/bench_pages.py

clean:
	rm -rf $(VENV) data/raw data/*.duckdb tests/artifacts
