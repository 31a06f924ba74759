# Two commands on a fresh machine: `make demo` and `make test`.
# `make demo` installs what the demo needs (rnnlab with MKL); `make test` adds the test
# extras (PyTorch, onnxruntime, pytest, ruff) to the same virtual environment.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[mkl]'
	touch $(DEMO_STAMP)

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

demo: $(DEMO_STAMP)
	$(VENV)/bin/rnnlab demo tagger
	$(VENV)/bin/rnnlab demo pipeline

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check rnnlab tests benchmarks

test: lint
	$(PY) -m pytest -n 2 -q

bench: $(TEST_STAMP)
	$(PY) benchmarks/speed/speed.py

clean:
	rm -rf $(VENV) build *.egg-info
