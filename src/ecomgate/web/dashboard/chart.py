"""The turnover chart as server-rendered SVG: no script, no library, no CDN.  Pure; the
numbers it draws are also in the table beside it (for screen readers and for copying)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 720
HEIGHT = 240
_TOP, _BOTTOM, _LEFT, _RIGHT = 16, 28, 8, 8


@dataclass(frozen=True)
class Bar:
    label: str  # the day, e.g. 2026-12-01
    value: int  # minor units
    text: str  # the value as shown, e.g. 20.00 ₽


def turnover_svg(bars: list[Bar], title: str) -> str:
    """A bar per day, tallest = highest turnover; each bar carries its day and amount as
    a tooltip (``<title>``)."""
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    top = max((b.value for b in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    width = max(step * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - _RIGHT}"'
        f' y2="{HEIGHT - _BOTTOM}" class="axis"/>',
    ]
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top
        x = _LEFT + i * step + (step - width) / 2
        y = HEIGHT - _BOTTOM - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
        )
    # the first and last days under the axis, so the period reads at a glance
    if bars:
        parts.append(
            f'<text x="{_LEFT}" y="{HEIGHT - 8}" class="tick">{escape(bars[0].label)}</text>'
        )
        parts.append(
            f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 8}" text-anchor="end" class="tick">'
            f"{escape(bars[-1].label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
