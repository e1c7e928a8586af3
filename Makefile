# Two commands set up a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean system-deps test-ci bench-queue lock

# Hash-pinned versions of every dependency (see `make lock`); LOCK= installs the newest within pyproject's ranges.
LOCK ?= requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifneq ($(strip $(LOCK)),)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
else
	$(BIN)/python -m pip install --quiet -e '.[dev]'
endif
	@touch $(STAMP)

# Re-resolve requirements.lock from pyproject.toml, keeping the current pins that still fit (hashes of every file).
lock:
	@test -x .venv-lock/bin/uv || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install --quiet 'uv>=0.5')
	cp $(LOCK) $(LOCK).new  # uv keeps the pins it finds in the output file: adding one package moves no other
	.venv-lock/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --no-header --quiet -o $(LOCK).new
	{ sed -n '1,3p' $(LOCK); cat $(LOCK).new; } > $(LOCK).tmp && rm $(LOCK).new && mv $(LOCK).tmp $(LOCK)

demo: $(STAMP)
	$(BIN)/fraudkit demo --workdir demo --fresh

# One worker per core; tests sharing a generated world stay on one worker (tests/conftest.py).
PYTEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# Chromium (browser test) and PostgreSQL (queue tests' second backend), apt-get only when missing.
system-deps:
	.ci/system-deps

# make test with a throwaway PostgreSQL (FRAUDKIT_TEST_PG_URL), so the PostgreSQL cases run too.
test-ci: $(STAMP) system-deps
	.ci/with-postgres $(MAKE) test

bench-queue: $(STAMP)
	$(BIN)/python benchmarks/bench_queue.py --seconds 60 --operators 20

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_synth.py --subscribers 1000000
	$(BIN)/python benchmarks/bench_ingest.py --subscribers 1000000 --repeat 3
	$(BIN)/python benchmarks/bench_features.py --rows 10000000
	$(BIN)/python benchmarks/bench_scan.py --subscribers 1000000
	$(BIN)/python benchmarks/bench_model.py --train-subscribers 100000 --score-subscribers 1000000 --rows 1000000
	$(BIN)/python benchmarks/bench_city.py --subscribers 1000000

clean:
	rm -rf demo .pytest_cache .hypothesis build *.egg-info
