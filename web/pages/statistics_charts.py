"""Bar charts as plain geometry for the statistics report; `statistics/_chart.html.j2` draws them as
inline SVG (autoescaped like every other template value; styled by monitoring.css, no inline styles).

A hidden cell ("<5", "x") has no bar, only its mark, so a chart never shows more than the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 230
PLOT_WIDTH = 360
VALUE_WIDTH = 70
COLUMN_WIDTH = 56
COLUMN_GAP = 24
PLOT_HEIGHT = 180


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    css: str  # bar bar--<series> [bar--imported] [bar--hidden]
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str  # the accessible name (already translated)
    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, label)
    baseline: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def horizontal(
    chart_id: str,
    title: str,
    items: list[tuple[str, Any, str]],
    *,
    series: tuple[str, ...] = ("main",),
    legend: list[tuple[str, str]] | None = None,
) -> Chart:
    """One row per item (label, value or tuple of values per series, extra css), bars scaled to the largest."""
    values: list[tuple[str, list[Any], str]] = [
        (label, list(v) if isinstance(v, tuple | list) else [v], css) for label, v, css in items
    ]
    top = max([_number(x) or 0.0 for _l, vs, _c in values for x in vs] + [1.0])
    bars: list[Bar] = []
    y = 0.0
    step = BAR_HEIGHT / len(series)
    for label, vs, css in values:
        for index, value in enumerate(vs):
            number = _number(value)
            width = 0.0 if number is None else max(PLOT_WIDTH * number / top, 1.0 if number > 0 else 0.0)
            hidden = " bar--hidden" if number is None else ""
            by = y + index * step
            bars.append(
                Bar(
                    label=label if index == 0 else "",
                    value_text=str(value),
                    x=LABEL_WIDTH,
                    y=by,
                    width=round(width, 1),
                    height=step - 1,
                    css=f"bar bar--{series[index]}{hidden}{(' ' + css) if css else ''}",
                    label_x=LABEL_WIDTH - 8,
                    label_y=y + BAR_HEIGHT / 2 + 4,
                    value_x=LABEL_WIDTH + round(width, 1) + 6,
                    value_y=by + step / 2 + 4,
                )
            )
        y += BAR_HEIGHT + GAP
    return Chart(chart_id, title, LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, max(y, BAR_HEIGHT), bars, legend or [])


def columns(chart_id: str, title: str, items: list[tuple[str, Any, str]], legend: list[tuple[str, str]]) -> Chart:
    """One column per item (e.g. a year), labels under the baseline."""
    top = max([_number(v) or 0.0 for _l, v, _c in items] + [1.0])
    bars = []
    for index, (label, value, css) in enumerate(items):
        number = _number(value)
        height = 0.0 if number is None else max(PLOT_HEIGHT * number / top, 1.0 if number > 0 else 0.0)
        x = COLUMN_GAP + index * (COLUMN_WIDTH + COLUMN_GAP)
        bars.append(
            Bar(
                label=label,
                value_text=str(value),
                x=x,
                y=20 + PLOT_HEIGHT - height,
                width=COLUMN_WIDTH,
                height=round(height, 1),
                css=f"bar bar--main{' bar--hidden' if number is None else ''}{(' ' + css) if css else ''}",
                label_x=x + COLUMN_WIDTH / 2,
                label_y=20 + PLOT_HEIGHT + 18,
                value_x=x + COLUMN_WIDTH / 2,
                value_y=20 + PLOT_HEIGHT - height - 6,
            )
        )
    width = COLUMN_GAP + len(items) * (COLUMN_WIDTH + COLUMN_GAP)
    return Chart(
        chart_id,
        title,
        width,
        20 + PLOT_HEIGHT + 28,
        bars,
        legend,
        (COLUMN_GAP / 2, 20 + PLOT_HEIGHT, width - COLUMN_GAP / 2, 20 + PLOT_HEIGHT),
    )
