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
STAMP_NOTEBOOKS := $(VENV)/.installed-notebooks
STAMP_DOCS := $(VENV)/.installed-docs

.PHONY: demo test bench notebooks lint format figures docs clean

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

$(STAMP_NOTEBOOKS): pyproject.toml | $(PY)
	$(PIP) install -e '.[notebooks]'
	@touch $@ $(STAMP_BASE)

$(STAMP_DOCS): pyproject.toml | $(PY)
	$(PIP) install -e '.[docs]'
	@touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	MPLBACKEND=Agg $(PY) -m demo

test: $(STAMP_TEST)
	MPLBACKEND=Agg $(PY) -m pytest

bench: $(STAMP_BENCH)
	MPLBACKEND=Agg $(PY) -m bench

# JupyterLab on notebooks/, with the .venv kernel (gradflow importable) and widget progress bars.
notebooks: $(STAMP_NOTEBOOKS)
	$(PY) -m jupyterlab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP_TEST)
	$(PY) -m ruff check autograd nn viz tests bench docs examples demo.py
	$(PY) -m ruff format --check autograd nn viz tests bench docs examples demo.py

format: $(STAMP_TEST)
	$(PY) -m ruff format autograd nn viz tests bench docs examples demo.py
	$(PY) -m ruff check --fix autograd nn viz tests bench docs examples demo.py

# The figures under docs/ (deterministic: the same code gives the same bytes).
figures: $(STAMP_BASE)
	MPLBACKEND=Agg $(PY) -m docs.make_figures

# The documentation site in docs/_build/html: guides, notebooks (as committed, with their
# outputs) and the API reference from the docstrings; any Sphinx warning is an error.
docs: figures $(STAMP_DOCS)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
