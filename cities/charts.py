"""Bar charts drawn on the server as SVG (no scripts, no inline styles: classes in site.css)."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT, GAP, LABEL_WIDTH, PLOT_WIDTH, VALUE_WIDTH = 22, 8, 220, 360, 60


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    text_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int


def bar_chart(items: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars, longest for the largest value, in the order given."""
    largest = max((value for _label, value in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        bars.append(
            Bar(str(label), value, y, round(PLOT_WIDTH * value / largest, 1), y + BAR_HEIGHT - 6)
        )
    height = max(len(items) * (BAR_HEIGHT + GAP) - GAP, BAR_HEIGHT)
    return BarChart(bars, LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height, LABEL_WIDTH)
