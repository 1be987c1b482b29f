"""Bar charts drawn on the server as SVG (no scripts, no inline styles: classes in site.css)."""

from __future__ import annotations

from dataclasses import dataclass

from lib.bilingual import Translated

BAR_HEIGHT, GAP, LABEL_WIDTH, PLOT_WIDTH, VALUE_WIDTH = 22, 8, 220, 360, 60


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    text_y: int
    lang: str = ""  # set when the label is in another language than the page (lang="en")


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int


def bar_chart(items: list[tuple[str | Translated, int]]) -> BarChart:
    """Horizontal bars, longest for the largest value, in the order given. A label shown in
    English on a Spanish page (a `Translated` that fell back) is marked with its language."""
    largest = max((value for _label, value in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        width = round(PLOT_WIDTH * value / largest, 1)
        lang = label.lang if isinstance(label, Translated) and label.fallback else ""
        bars.append(Bar(str(label), value, y, width, y + BAR_HEIGHT - 6, lang))
    height = max(len(items) * (BAR_HEIGHT + GAP) - GAP, BAR_HEIGHT)
    return BarChart(bars, LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height, LABEL_WIDTH)
