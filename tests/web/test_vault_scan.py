"""The in-process app's SQLite file (database and WAL) holds no clear test card number
after the web tests that ran before this one (every binding method, the page's saved
cards, card payments with every test card)."""

from __future__ import annotations

from ecomgate.storage.sqlite import sqlite_path

from ..services.test_vault_scan import PANS


def test_the_web_database_holds_no_clear_pan(web_database_url: str) -> None:
    path = sqlite_path(web_database_url)
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
    assert b"456396**1999" in data  # masked numbers are there: the scan reads real data
    leaked = [pan for pan in PANS if pan.encode() in data]
    assert leaked == [], f"clear card numbers in the web database: {leaked}"
