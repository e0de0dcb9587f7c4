"""mkdocs hooks (``mkdocs.yml``): pages whose tables are made from the code, so they cannot
drift from it.  A page asks for a table with a marker line, ``<!-- generated: NAME -->``:

- ``api-reference``: every served method, its parameters and answers (``web/api/reference``);
- ``test-cards``: the emulator's test cards (``acquirers/emulator/cards_table.py``);
- ``configuration``: every ``ECOMGATE_*`` variable ``config.from_env`` reads and its
  default, from the code; what it does from the README's table, else from the ``#:``
  comment of its ``Settings`` field.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecomgate import config
from ecomgate.acquirers.emulator.cards_table import ACS_PASSWORD, TEST_CARDS, Scenario
from ecomgate.web.api import reference

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)

_SCENARIOS = {
    Scenario.APPROVE: "approved, no 3-D Secure",
    Scenario.DECLINE: "declined at authorization",
    Scenario.CHALLENGE: f"3-D Secure challenge (ACS password {ACS_PASSWORD})",
    Scenario.FRICTIONLESS_APPROVE: "3-D Secure attempt, approved without a challenge",
    Scenario.THREE_DS_DECLINE: "3-D Secure fails without a challenge",
}


def test_cards() -> str:
    lines = [
        "| card number | CVC | what happens | with 3-D Secure 2 | actionCode | note |",
        "|---|---|---|---|---|---|",
    ]
    for card in TEST_CARDS.values():
        three_ds2 = card.three_ds2.value if card.three_ds2 is not None else ""
        lines.append(
            f"| `{card.pan}` | `{card.cvc}` | {_SCENARIOS[card.scenario]} | {three_ds2} "
            f"| {card.action_code} | {card.description} |"
        )
    return "\n".join(lines)


def _field_comments() -> dict[str, str]:
    """Settings field -> its ``#:`` comment (the lines right above it)."""
    source = inspect.getsource(config.Settings).splitlines()
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in source:
        text = line.strip()
        if text.startswith("#:"):
            pending.append(text[2:].strip())
            continue
        found = re.match(r"(\w+): ", text)
        if found and pending:
            comments[found[1]] = " ".join(pending)
        pending = []
    return comments


def _variables() -> dict[str, list[str]]:
    """Settings field -> the ECOMGATE_* variables ``from_env`` reads for it."""
    source = inspect.getsource(config.from_env)
    tree = ast.parse(source)
    assigned = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    out: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Settings"):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in assigned:
                value = assigned[value.id]
            names = re.findall(r"ECOMGATE_[A-Z0-9_]+", ast.unparse(value))
            if names and keyword.arg:
                out[keyword.arg] = list(dict.fromkeys(names))
    return out


def readme_meanings() -> dict[str, str]:
    """``ECOMGATE_X`` -> the meaning column of the README's configuration table."""
    out: dict[str, str] = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`ECOMGATE_"):
            for name in re.findall(r"ECOMGATE_[A-Z0-9_]+", cells[0]):
                out[name] = cells[2].replace("](docs/", "](")  # links from docs/
    return out


def _default(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def configuration() -> str:
    defaults = {f.name: f.default for f in dataclasses.fields(config.Settings)}
    comments, meanings = _field_comments(), readme_meanings()
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for name, variables in _variables().items():
        default = _default(defaults.get(name, ""))
        meaning = meanings.get(variables[0]) or comments.get(name, "")
        shown = f"`{default}`" if default else "(none)"
        lines.append(f"| `{'`, `'.join(variables)}` | {shown} | {meaning} |")
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[], str]] = {
    "api-reference": reference.markdown,
    "test-cards": test_cards,
    "configuration": configuration,
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    def generated(match: re.Match[str]) -> str:
        name = match[1]
        if name not in GENERATORS:
            raise ValueError(f"unknown generated table {name!r}")
        return GENERATORS[name]()

    return MARKER.sub(generated, markdown)
