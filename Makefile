# lrwatch: `make demo` shows it working, `make test` runs the suite, `make bench` the benchmarks.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test bench browser postgres clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Debian's Chromium and its driver for the browser tests; a no-op where they are present.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver >/dev/null; }

# Debian's PostgreSQL for the team-store tests; a no-op where it is present. The tests start
# their own throwaway server (initdb in a temporary folder as the unprivileged postgres user,
# pg_ctl on a free local port, stopped at the end: tests/helpers/pgcluster.py).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql >/dev/null; }

demo: $(STAMP)
	$(VENV)/bin/lrwatch demo

test: $(STAMP) browser postgres
	$(PY) -m pytest

bench: $(STAMP) browser postgres
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) lrwatch_logs benchmarks/out .pytest_cache
