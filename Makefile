# Two commands set everything up from nothing: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/duo demo

test: $(STAMP)
	$(PY) -m pytest
	$(VENV)/bin/ruff check duo_ai tests examples benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check duo_ai tests examples benchmarks
	$(VENV)/bin/ruff format --check duo_ai tests examples benchmarks

clean:
	rm -rf $(VENV)
