"""py-spy against a gateway worker under load, summarised: where the samples were
(``--format raw``: one line per distinct stack, frames joined by ``;``, then a count)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` and its worker processes, if any, for ``seconds`` (100 Hz,
    without pausing them); wait on the returned process for the file."""
    tool = py_spy()
    assert tool, "py-spy is not installed (pip install py-spy)"
    return subprocess.Popen(
        [tool, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
         "--nonblocking", "--subprocesses", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@dataclass(frozen=True)
class Summary:
    samples: int
    #: (function (file), share of samples it was running in itself)
    own: list[tuple[str, float]]
    #: (module group, share of samples it was anywhere on the stack)
    inclusive: list[tuple[str, float]]


#: on every stack of a served request (the process's entry point and its CLI): no news
_EVERYWHERE = {"<frozen runpy>", "click", "ecomgate", "runpy"}


def _frame(frame: str) -> tuple[str, str]:
    """``func (path/to/file.py:12)`` -> (``func (file.py)``, module group)."""
    name, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({_short(path)})", _group(path)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" else tail
    return path


def _group(path: str) -> str:
    """The package a frame is in; ecomgate by sub-package (web.api, storage, ...)."""
    short = _short(path)
    parts = short.split("/")
    if parts[0] == "ecomgate" and len(parts) > 2:
        return ".".join(parts[:3] if parts[1] == "web" and len(parts) > 3 else parts[:2])
    return parts[0].removesuffix(".py")


def summarise(raw: Path, top: int = 15) -> Summary:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        total += count
        own[frames[-1][0]] += count
        for group in {g for _, g in frames} - _EVERYWHERE:
            inclusive[group] += count
    share = 1 / total if total else 0
    return Summary(
        samples=total,
        own=[(k, n * share) for k, n in own.most_common(top)],
        inclusive=[(k, n * share) for k, n in inclusive.most_common(top)],
    )
