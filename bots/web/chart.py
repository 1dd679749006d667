"""A small inline SVG line chart of scores over time (0–100 %), one line per subject."""

from __future__ import annotations

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
