# Two commands set up a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fraudkit demo --workdir demo --fresh

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_synth.py --subscribers 1000000
	$(BIN)/python benchmarks/bench_ingest.py --rows 10000000
	$(BIN)/python benchmarks/bench_features.py --rows 10000000
	$(BIN)/python benchmarks/bench_scan.py --subscribers 1000000
	$(BIN)/python benchmarks/bench_model.py --train-subscribers 100000 --score-subscribers 1000000 --rows 1000000

clean:
	rm -rf demo .pytest_cache .hypothesis build *.egg-info
