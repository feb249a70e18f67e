"""Server-drawn SVG charts: bars (stacked or single), lines, an optional target line.

No JavaScript and nothing fetched: the SVG is part of the page, scales with its container,
prints as vectors, and every bar or point carries a ``<title>`` that browsers show as a
tooltip and screen readers read. Text is escaped; colours are chosen to stay apart in grey
print (they differ in lightness as well as hue).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from gogaek.web.i18n import gettext as _

WIDTH = 760
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 48
COLORS = ("#1d4ed8", "#f59e0b", "#059669", "#dc2626", "#7c3aed", "#64748b", "#db2777", "#0891b2")
FONT = "'Noto Sans KR','Malgun Gothic','Apple SD Gothic Neo',sans-serif"
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class Reference:
    """A horizontal line such as the SLA target."""

    label: str
    value: float


def format_number(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text}{unit}"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 up to at least ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _text(x: float, y: float, content: str, *, anchor: str = "middle", size: int = 12, cls: str = "") -> str:
    class_attr = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{class_attr}>{escape(content)}</text>'
    )


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]


def _close(parts: list[str]) -> Markup:
    """Every piece of text in ``parts`` went through ``escape``; the rest is our own markup."""
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - text nodes and attributes are escaped above


def _empty(title: str) -> Markup:
    parts = _open(title)
    parts.append(_text(WIDTH / 2, HEIGHT / 2, _("이 조건에 해당하는 데이터가 없습니다."), size=14, cls="chart-empty"))
    return _close(parts)


def _legend(series: Sequence[Series], reference: Reference | None) -> list[str]:
    parts: list[str] = []
    x = float(LEFT)
    entries = [(item.name, COLORS[index % len(COLORS)], False) for index, item in enumerate(series)]
    if reference is not None:
        entries.append((reference.label, "#111827", True))
    for name, color, dashed in entries:
        if dashed:
            parts.append(
                f'<line x1="{x:.1f}" y1="16" x2="{x + 14:.1f}" y2="16" stroke="{color}" stroke-dasharray="4 3"/>'
            )
        else:
            parts.append(f'<rect x="{x:.1f}" y="10" width="12" height="12" fill="{color}"/>')
        parts.append(_text(x + 18, 21, name, anchor="start", cls="chart-legend"))
        x += 30 + 12 * len(name) + 4
    return parts


def _frame(labels: Sequence[str], top: float, unit: str) -> tuple[list[str], float, float]:
    """Axes, grid and labels; returns the parts, the plot height and the value scale."""
    ticks = nice_ticks(top)
    plot_height = HEIGHT - TOP - BOTTOM
    scale = plot_height / ticks[-1]
    parts: list[str] = []
    for tick in ticks:
        y = HEIGHT - BOTTOM - tick * scale
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(_text(LEFT - 6, y + 4, format_number(tick, unit), anchor="end", size=11, cls="chart-tick"))
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#374151"/>'
    )
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index, label in enumerate(labels):
        if index % every == 0:
            x = LEFT + slot * (index + 0.5)
            parts.append(_text(x, HEIGHT - BOTTOM + 18, label, size=11, cls="chart-label"))
    return parts, plot_height, scale


def _reference(reference: Reference | None, scale: float, unit: str) -> list[str]:
    if reference is None:
        return []
    y = HEIGHT - BOTTOM - reference.value * scale
    title = f"{reference.label}: {format_number(reference.value, unit)}"
    return [
        f'<line class="chart-reference" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
        f'stroke="#111827" stroke-dasharray="6 4"><title>{escape(title)}</title></line>'
    ]


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    reference: Reference | None = None,
) -> Markup:
    """One bar per label; several series are stacked in the order given."""
    totals = [sum(item.values[index] or 0.0 for item in series) for index in range(len(labels))]
    if not labels or not series or max(totals, default=0.0) <= 0:
        return _empty(title)
    top = max(max(totals), reference.value if reference else 0.0)
    parts = _open(title)
    frame, _height, scale = _frame(labels, top, unit)
    parts += frame
    slot = (WIDTH - LEFT - RIGHT) / len(labels)
    width = max(slot * 0.7, 1.0)
    for index, label in enumerate(labels):
        x = LEFT + slot * index + (slot - width) / 2
        base = float(HEIGHT - BOTTOM)
        for number, item in enumerate(series):
            value = item.values[index] or 0.0
            if value <= 0:
                continue
            height = value * scale
            base -= height
            name = f"{label} · {item.name}: " if len(series) > 1 else f"{label}: "
            tip = escape(name + format_number(value, unit))
            parts.append(
                f'<rect class="chart-bar" x="{x:.1f}" y="{base:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{COLORS[number % len(COLORS)]}"><title>{tip}</title></rect>'
            )
    parts += _reference(reference, scale, unit)
    parts += _legend(series, reference)
    return _close(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    reference: Reference | None = None,
) -> Markup:
    """One line per series; a missing value (None) breaks the line."""
    values = [value for item in series for value in item.values if value is not None]
    if not labels or not values:
        return _empty(title)
    top = max(max(values), reference.value if reference else 0.0)
    parts = _open(title)
    frame, _height, scale = _frame(labels, top if top > 0 else 1.0, unit)
    parts += frame
    slot = (WIDTH - LEFT - RIGHT) / len(labels)
    for number, item in enumerate(series):
        color = COLORS[number % len(COLORS)]
        run: list[str] = []
        points: list[str] = []
        for index, value in enumerate(item.values):
            if value is None:
                if len(run) > 1:
                    points.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            x = LEFT + slot * (index + 0.5)
            y = HEIGHT - BOTTOM - value * scale
            run.append(f"{x:.1f},{y:.1f}")
            tip = escape(f"{labels[index]} · {item.name}: {format_number(value, unit)}")
            points.append(
                f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{tip}</title></circle>"
            )
        if len(run) > 1:
            points.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
        parts += points
    parts += _reference(reference, scale, unit)
    parts += _legend(series, reference)
    return _close(parts)
