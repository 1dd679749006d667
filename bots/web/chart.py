"""Small inline SVG charts drawn on the server: a pupil's scores over time (0–100 %), one line per
subject; the overview's weekly trend of percentages; and a column chart of counts (the scores' spread)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from monitoring import Point

WIDTH, HEIGHT, PAD = 520, 220, 32
COLOURS = ("#2a7ab0", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#16a085")


def score_chart(series: dict[str, list[Point]], labels: dict[str, str], title: str) -> str:
    days = sorted({p.on for points in series.values() for p in points})
    if not days:
        return ""
    span = max((days[-1] - days[0]).days, 1)

    def x(point: Point) -> float:
        return PAD + (WIDTH - 2 * PAD) * ((point.on - days[0]).days / span if len(days) > 1 else 0.5)

    def y(percent: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * max(0.0, min(percent, 100.0)) / 100

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for level in (0, 50, 100):
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#ddd"/>'
            f'<text x="4" y="{y(level) + 4:.1f}" font-size="11" fill="#666">{level}%</text>'
        )
    for index, (subject, points) in enumerate(sorted(series.items())):
        colour = COLOURS[index % len(COLOURS)]
        coords = " ".join(f"{x(p):.1f},{y(p.percent):.1f}" for p in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        for p in points:
            tip = f"{escape(labels.get(subject, subject))} {p.on.isoformat()}: {p.percent:g}%"
            parts.append(
                f'<circle cx="{x(p):.1f}" cy="{y(p.percent):.1f}" r="3.5" fill="{colour}">'
                f"<title>{tip}</title></circle>"
            )
        parts.append(
            f'<text x="{PAD + 4}" y="{14 + 14 * index}" font-size="12" fill="{colour}">'
            f"{escape(labels.get(subject, subject))}</text>"
        )
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11" fill="#666">{days[0].isoformat()}</text>')
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" fill="#666" text-anchor="end">'
        f"{days[-1].isoformat()}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


TREND_WIDTH, TREND_HEIGHT = 560, 220
BAR_WIDTH, BAR_HEIGHT = 360, 220
TREND_COLOURS = ("#2a7ab0", "#d68910")


def trend_chart(
    days: Sequence[date], series: Sequence[tuple[str, Sequence[float | None]]], title: str
) -> str:
    """Lines of percentages (0–100) over weeks, one per named series; a missing value breaks its line."""
    if not days:
        return ""
    left, right, top, bottom = 36, 12, 28, 30
    inner_w, inner_h = TREND_WIDTH - left - right, TREND_HEIGHT - top - bottom
    step = inner_w / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return left + (step * index if len(days) > 1 else inner_w / 2)

    def y(percent: float) -> float:
        return top + inner_h * (1 - max(0.0, min(percent, 100.0)) / 100)

    parts = [
        f'<svg class="chart" viewBox="0 0 {TREND_WIDTH} {TREND_HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for level in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" x2="{TREND_WIDTH - right}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            f'stroke="{"#c9d1d9" if level in (0, 100) else "#eef1f4"}"/>'
            f'<text x="{left - 6}" y="{y(level) + 4:.1f}" font-size="11" fill="#57606a" '
            f'text-anchor="end">{level}</text>'
        )
    every = max(1, -(-len(days) // 8))
    for index, day in enumerate(days):
        if index % every == 0 or index == len(days) - 1:
            anchor = "end" if index == len(days) - 1 and len(days) > 1 else "middle"
            parts.append(
                f'<text x="{x(index):.1f}" y="{TREND_HEIGHT - 10}" font-size="11" fill="#57606a" '
                f'text-anchor="{anchor}">{day:%d.%m}</text>'
            )
    for number, (name, values) in enumerate(series):
        colour = TREND_COLOURS[number % len(TREND_COLOURS)]
        run: list[str] = []
        for index, value in enumerate([*values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
                        f'stroke-linejoin="round" points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            run.append(f"{x(index):.1f},{y(value):.1f}")
            parts.append(
                f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)} {days[index]:%d.%m}: {value:g}%</title></circle>"
            )
        legend_x = left + number * 190
        parts.append(
            f'<rect x="{legend_x}" y="8" width="12" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 18}" y="14" font-size="12" fill="#1d2329">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str) -> str:
    """Columns of counts (how many works got each score)."""
    if not values or not any(values):
        return ""
    left, right, top, bottom = 12, 12, 18, 30
    inner_w, inner_h = BAR_WIDTH - left - right, BAR_HEIGHT - top - bottom
    slot = inner_w / len(values)
    highest = max(values)
    parts = [
        f'<svg class="chart" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{BAR_WIDTH - right}" y1="{top + inner_h}" y2="{top + inner_h}" '
        'stroke="#c9d1d9"/>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = inner_h * value / highest
        bar_x = left + slot * index + slot * 0.15
        parts.append(
            f'<rect x="{bar_x:.1f}" y="{top + inner_h - height:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" rx="2" fill="#2a7ab0"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{bar_x + slot * 0.35:.1f}" y="{BAR_HEIGHT - 10}" font-size="11" fill="#57606a" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        if value:
            parts.append(
                f'<text x="{bar_x + slot * 0.35:.1f}" y="{top + inner_h - height - 4:.1f}" font-size="10" '
                f'fill="#57606a" text-anchor="middle">{value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
