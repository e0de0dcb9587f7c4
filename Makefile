# EcomGate: `make demo` runs the gateway with a demo shop; `make test` runs every test.
# Both bootstrap their own virtual environment (.venv) on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test lint typecheck unit browser-deps bench reliability-report clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's chromium for the browser tests (playwright drives it; no browser download)
browser-deps:
	./scripts/install-browser.sh

demo: $(STAMP)
	$(BIN)/ecomgate demo

serve: $(STAMP)
	$(BIN)/ecomgate serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test: $(STAMP) browser-deps lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

# options: make bench BENCH_ARGS="--sizes 10000,1000000 --seconds 10" (python -m bench --help)
BENCH_ARGS ?=
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m bench $(BENCH_ARGS)

# the crash, failover and abuse tests, their figures written into docs/reliability.md
RELIABILITY_DIR := data/reliability
reliability-report: $(STAMP)
	rm -rf $(RELIABILITY_DIR)
	ECOMGATE_RELIABILITY_DIR=$(CURDIR)/$(RELIABILITY_DIR) $(BIN)/pytest -q -p no:cacheprovider -s tests/reliability
	$(BIN)/python scripts/reliability_report.py $(RELIABILITY_DIR)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
