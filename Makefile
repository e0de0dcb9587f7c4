# EcomGate: `make demo` runs the gateway with a demo shop; `make test` runs every test.
# Both bootstrap their own virtual environment (.venv) on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test lint typecheck unit browser-deps bench docs client-wheel reliability-report security-report clean

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

# the documentation site (mkdocs.yml) into site/; any warning fails the build
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# the SDK alone as its own distribution (ecomgate-client, needs httpx only) into dist/
client-wheel:
	$(PYTHON) scripts/build_client_wheel.py dist

test: $(STAMP) browser-deps lint typecheck docs
	$(BIN)/pytest -q -p no:cacheprovider

# the figures of docs/security.md: the abuse, fuzz, isolation and card-data tests, with output
security-report: $(STAMP)
	$(BIN)/pytest -q -s -p no:cacheprovider tests/api/test_connection_limits.py \
		tests/api/test_abuse_processes.py tests/api/test_card_data_hygiene.py \
		tests/web/test_fuzz_methods.py tests/web/test_isolation.py \
		| grep -E "closed after|chunked body|wrong passwords|refused on both|card-data scan|fuzz figures|passed|failed"

# options: make bench BENCH_ARGS="--sizes 10000,1000000 --seconds 10" (python -m bench --help)
BENCH_ARGS ?=
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m bench $(BENCH_ARGS)

# every figure of docs/reliability.md and docs/security.md: the crash and failover tests
# (written into docs/reliability.md), then the abuse, fuzz, isolation and card-data tests
RELIABILITY_DIR := data/reliability
reliability-report: $(STAMP)
	rm -rf $(RELIABILITY_DIR)
	ECOMGATE_RELIABILITY_DIR=$(CURDIR)/$(RELIABILITY_DIR) $(BIN)/pytest -q -p no:cacheprovider -s tests/reliability
	$(BIN)/python scripts/reliability_report.py $(RELIABILITY_DIR)
	$(MAKE) --no-print-directory security-report

clean:
	rm -rf $(VENV) data site dist .pytest_cache .mypy_cache .ruff_cache
