# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rnnlab demo tagger

test: $(STAMP)
	$(VENV)/bin/ruff check rnnlab tests benchmarks
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) benchmarks/speed/speed.py

clean:
	rm -rf $(VENV) build *.egg-info
