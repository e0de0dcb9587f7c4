#!/usr/bin/env bash
# Regenerates docs/screenshots/dashboard-*.png: the dashboard's browser tests on SQLite,
# saving each screen as they pass (shown in docs/dashboard.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ECOMGATE_SCREENSHOTS=1 .venv/bin/pytest -q -p no:cacheprovider tests/browser/test_dashboard.py -k sqlite
