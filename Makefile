# The two commands a user types on a fresh clone: `make demo` and `make test`.
# Every target creates .venv when it is missing and installs what it needs into it.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# A marker per set of extras, so that `make test` after `make demo` installs only what is new.
STAMP_BASE := $(VENV)/.installed-base
STAMP_TEST := $(VENV)/.installed-test
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test bench lint format docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_BASE): pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	@touch $@ $(STAMP_BASE)

$(STAMP_BENCH): pyproject.toml | $(PY)
	$(PIP) install -e '.[bench]'
	@touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	MPLBACKEND=Agg $(PY) -m demo

test: $(STAMP_TEST)
	MPLBACKEND=Agg $(PY) -m pytest

bench: $(STAMP_BENCH)
	MPLBACKEND=Agg $(PY) -m bench

lint: $(STAMP_TEST)
	$(PY) -m ruff check autograd nn viz tests bench docs examples demo.py
	$(PY) -m ruff format --check autograd nn viz tests bench docs examples demo.py

format: $(STAMP_TEST)
	$(PY) -m ruff format autograd nn viz tests bench docs examples demo.py
	$(PY) -m ruff check --fix autograd nn viz tests bench docs examples demo.py

docs: $(STAMP_BASE)
	$(PY) -m docs.make_figures

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
