"""Write the figures of the reliability tests into docs/reliability.md.

``make reliability-report`` runs the tests of ``tests/reliability`` with
``ECOMGATE_RELIABILITY_DIR`` set; each writes ``<name>-<engine>.json``.  This script turns
those files into the Markdown table between the markers of docs/reliability.md, so the
page always shows figures a run produced, never typed-in ones.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

BEGIN = "<!-- figures: begin (make reliability-report) -->"
END = "<!-- figures: end -->"


def _cell(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def table(results: Path) -> str:
    runs = [
        json.loads(p.read_text()) | {"test": p.stem.rsplit("-", 1)[0]}
        for p in sorted(results.glob("*.json"))
    ]
    if not runs:
        raise SystemExit(f"no figures in {results}: run the reliability tests first")
    lines = [
        f"Produced on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()},"
        f" {platform.machine()}.",
        "",
    ]
    for test in sorted({run["test"] for run in runs}):
        mine = [run for run in runs if run["test"] == test]
        keys = [k for k in mine[0] if k not in ("test", "engine")]
        lines.append(f"**{test}**")
        lines.append("")
        lines.append("| figure | " + " | ".join(run["engine"] for run in mine) + " |")
        lines.append("|---|" + "---|" * len(mine))
        for key in keys:
            cells = " | ".join(_cell(run.get(key, "")) for run in mine)
            lines.append(f"| {key.replace('_', ' ')} | {cells} |")
        lines.append("")
    return "\n".join(lines)


def main(results: str, page: str = "docs/reliability.md") -> None:
    path = Path(page)
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{table(Path(results))}\n{END}{tail}")
    print(f"{page}: figures from {results}")


if __name__ == "__main__":
    main(*sys.argv[1:])
