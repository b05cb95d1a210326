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

.PHONY: demo test test-matrix bench notebooks lint format figures docs clean

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

# The tests on every Python we claim (requires-python >= 3.10) that is on this machine (pyenv's
# versions, else pythonX.Y on PATH), each with the newest NumPy it can get, and once more on the
# oldest NumPy we accept; each in its own venv under .venv/matrix/. The notebooks are left to
# `make test`. It ends with a table of what passed, failed or was skipped, and why.
MATRIX_PYTHONS ?= 3.10 3.11 3.12 3.13
MATRIX_OLDEST_NUMPY ?= 1.26
MATRIX_TESTS ?= tests
test-matrix:
	@status=0; report=""; oldest_done=""; \
	for v in $(MATRIX_PYTHONS); do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); \
	  [ -n "$$py" ] || py=$$(command -v python$$v || true); \
	  if [ -z "$$py" ]; then report="$$report\n  python $$v              skipped: not installed"; continue; fi; \
	  for numpy in newest $(MATRIX_OLDEST_NUMPY); do \
	    if [ $$numpy != newest ] && [ -n "$$oldest_done" ]; then continue; fi; \
	    env=$(VENV)/matrix/py$$v-numpy$$numpy; pin=numpy; [ $$numpy = newest ] || pin="numpy==$$numpy.*"; \
	    echo "== python $$v, numpy $$numpy ($$env)"; \
	    if ! { [ -x $$env/bin/python ] || $$py -m venv $$env; } \
	       || ! $$env/bin/python -m pip --disable-pip-version-check -q install -e '.[test]' "$$pin"; then \
	      report="$$report\n  python $$v, numpy $$numpy  skipped: could not install (no wheel?)"; continue; fi; \
	    [ $$numpy = newest ] || oldest_done=1; \
	    got=$$($$env/bin/python -c "import numpy; print(numpy.__version__)"); \
	    if MPLBACKEND=Agg $$env/bin/python -m pytest $(MATRIX_TESTS) -q -p no:cacheprovider -o addopts=-ra; then \
	      report="$$report\n  python $$v, numpy $$got  passed"; \
	    else report="$$report\n  python $$v, numpy $$got  FAILED"; status=1; fi; \
	  done; \
	done; \
	printf "test-matrix ($(MATRIX_TESTS); notebooks not run here):$$report\n"; exit $$status

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
