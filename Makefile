# mechtms: `make demo` and `make test` set everything up on a fresh machine.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: demo test venv sbml bench lint clean

demo: $(STAMP)
	$(VENV)/bin/mechtms run

# PYTHONUTF8: subprocesses (CLI tests, workers) read and write UTF-8 whatever the locale
test: $(STAMP)
	MECHTMS_FAST=1 PYTHONUTF8=1 $(PY) -m pytest tests $(if $(NOTEBOOKS),--nbmake $(NOTEBOOKS)) -q

venv: $(STAMP)

$(PY):
	@py=$$(sh .ci/find_python.sh) || exit 1; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,bench]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

sbml: $(STAMP)
	$(VENV)/bin/mechtms export sbml
	$(VENV)/bin/mechtms export omex

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(PY) -m ruff check mechtms tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache results
