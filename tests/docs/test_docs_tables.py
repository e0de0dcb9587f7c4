"""The docs site's generated tables (scripts/docs_hooks.py) are complete."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

from ecomgate import config
from ecomgate.web.api.contracts.catalogue import CATALOGUE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import docs_hooks


def test_every_variable_config_reads_is_in_the_configuration_table_with_a_meaning() -> None:
    read = set(re.findall(r'"(ECOMGATE_[A-Z0-9_]+)"', inspect.getsource(config.from_env)))
    table = docs_hooks.configuration()
    rows = {
        name: line
        for line in table.splitlines()
        for name in re.findall(r"ECOMGATE_[A-Z0-9_]+", line)
    }
    assert set(rows) == read
    meanings = docs_hooks.readme_meanings()
    assert read <= set(meanings), read - set(meanings)  # every one documented in the README
    ast.parse(inspect.getsource(config.from_env))  # the hook parses it too


def test_the_reference_has_every_method_and_the_cards_table_every_card() -> None:
    page = docs_hooks.on_page_markdown("<!-- generated: api-reference -->")
    for contract in CATALOGUE:
        assert f"### {contract.name}.do" in page
    cards = docs_hooks.on_page_markdown("<!-- generated: test-cards -->")
    assert "`4111111111111111`" in cards and "12345678" in cards
