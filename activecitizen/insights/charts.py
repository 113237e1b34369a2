"""Geometry for the inline SVG charts the dashboard draws on the server (no JS library)."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 180
CHART_WIDTH = 560
LINE_HEIGHT = 200
LINE_PAD = 30


@dataclass(frozen=True)
class Bar:
    label: str
    count: int | None
    y: int
    width: int  # 0 for a hidden cell


def bars(rows, *, width: int = CHART_WIDTH - LABEL_WIDTH - 60) -> tuple[list[Bar], int]:
    """Horizontal bars scaled to the largest shown count; the chart's height."""
    largest = max([r.count or 0 for r in rows] + [1])
    out = [
        Bar(
            label=r.label,
            count=r.count,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=0 if r.count is None else max(1, round(r.count * width / largest)),
        )
        for i, r in enumerate(rows)
    ]
    return out, max(len(out), 1) * (BAR_HEIGHT + BAR_GAP)


@dataclass(frozen=True)
class Line:
    points: str  # for <polyline points="…">
    dots: list[tuple[int, int, str, int]]  # x, y, label, count
    largest: int


def line(weeks) -> Line:
    largest = max([w.count for w in weeks] + [1])
    n = max(len(weeks) - 1, 1)
    inner_w, inner_h = CHART_WIDTH - 2 * LINE_PAD, LINE_HEIGHT - 2 * LINE_PAD
    dots = [
        (
            LINE_PAD + round(i * inner_w / n),
            LINE_PAD + inner_h - round(w.count * inner_h / largest),
            w.starts.isoformat(),
            w.count,
        )
        for i, w in enumerate(weeks)
    ]
    return Line(points=" ".join(f"{x},{y}" for x, y, _l, _c in dots), dots=dots, largest=largest)
