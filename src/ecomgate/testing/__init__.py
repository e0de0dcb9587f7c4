"""Support for running EcomGate from tests and tooling (``bench``, ``scripts/``): a gateway
or ``ecomgate demo`` process on a port the system picks, throw-away PostgreSQL databases, the
buyer's steps through the demo in Chromium.

Nothing here depends on pytest, and the gateway itself never imports this package (an
import-linter contract in pyproject.toml keeps it so).  ``demo_flow`` needs Playwright (the
``dev`` extra).
"""
