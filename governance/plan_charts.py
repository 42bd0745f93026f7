"""Action-plan charts as accessible SVG: actions by status per theme, and the trend.

Drawn the way ``surveys.charts`` draws likert charts, and with its helpers:
matplotlib's ``Figure`` API only (never ``pyplot``), under its lock and settings,
Okabe-Ito colours with a hatching per segment so the chart also reads in
greyscale, and the same clean-up of the SVG (no inline styles, prefixed ids,
plain drawing only) before a ``<title>`` and ``<desc>`` are added. Every chart
sits beside a table with the same numbers.

Charts are cached by the data they show (frozen, hashable dataclasses), so a
change to any action gives a new key and stale charts never match.

Nothing here imports Flask or touches the database.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from surveys.charts import MUTED_COLOUR
from surveys.charts import SVG_NS
from surveys.charts import TEXT_COLOUR
from surveys.charts import _clean
from surveys.charts import _sanitise
from surveys.charts import _wrap
from surveys.charts import figure_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Inches. Narrow enough that on a phone the chart's words are still readable.
FIGURE_WIDTH = 5.6

#: The segments of a bar, in order from the left: the status words and their looks
#: (fill, hatching, hatch colour). Completed is the darkest, as in the likert charts.
STATUS_SEGMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("completed", "#0072b2", "//", "#ffffff"),
    ("in progress", "#56b4e9", "/", "#0b0c0c"),
    ("carried forward", "#e69f00", "\\", "#0b0c0c"),
    ("not started", "#bbbbbb", "--", "#0b0c0c"),
)


@dataclass(frozen=True)
class StatusBar:
    """One bar: a theme (or group) and its scheduled actions' counts by status."""

    label: str
    #: Counts in the order of ``STATUS_SEGMENTS``.
    counts: tuple[int, int, int, int]

    @property
    def total(self) -> int:
        """Every scheduled action of the bar."""
        return sum(self.counts)


@dataclass(frozen=True)
class StatusChart:
    """A stacked bar chart of scheduled actions by status; also the cache key."""

    chart_id: str
    title: str
    bars: tuple[StatusBar, ...]


@dataclass(frozen=True)
class TrendChart:
    """The completion rate at each reporting period's end; also the cache key."""

    chart_id: str
    title: str
    #: (period label, completion % or None when nothing was due).
    points: tuple[tuple[str, float | None], ...]


def status_description(chart: StatusChart) -> str:
    """The chart's long text alternative: every bar's numbers in words."""
    parts = [
        "Stacked bar chart: one bar per theme, its length the number of actions "
        "due, divided by status."
    ]
    for bar in chart.bars:
        counts = ", ".join(
            f"{count} {name}"
            for (name, *_), count in zip(STATUS_SEGMENTS, bar.counts, strict=True)
        )
        parts.append(f"{_clean(bar.label)}: {bar.total} due; {counts}.")
    return " ".join(parts)


def trend_description(chart: TrendChart) -> str:
    """The trend chart's long text alternative: every point in words."""
    parts = ["Line chart of the completion rate at the end of each period."]
    for label, pct in chart.points:
        parts.append(
            f"{_clean(label)}: {'nothing due' if pct is None else f'{pct:.1f}%'}."
        )
    return " ".join(parts)


def _draw_status(chart: StatusChart) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    rows = len(chart.bars)
    # Narrower than the likert charts: scaled to a phone's width, the words stay legible.
    figure = Figure(
        figsize=(FIGURE_WIDTH, 1.9 + 0.55 * max(rows, 1)), layout="constrained"
    )
    axes = figure.add_subplot()
    widest = max((bar.total for bar in chart.bars), default=0)
    for row, bar in enumerate(chart.bars):
        left = 0
        for (_, colour, hatch, hatch_colour), count in zip(
            STATUS_SEGMENTS, bar.counts, strict=True
        ):
            if count:
                axes.barh(
                    row,
                    count,
                    left=left,
                    height=0.6,
                    color=colour,
                    hatch=hatch,
                    hatchcolor=hatch_colour,
                    edgecolor="#ffffff",
                    linewidth=0.8,
                )
            left += count
        axes.text(
            bar.total + widest * 0.01,
            row,
            f"{bar.total} due",
            ha="left",
            va="center",
            color=TEXT_COLOUR,
        )
    # Room on the right for "39 due"; no tick beyond the longest bar, so the last
    # tick label never runs off the figure's edge.
    ticks = [
        tick
        for tick in MaxNLocator(nbins=6, integer=True).tick_values(0, max(widest, 1))
        if tick >= 0
    ]
    ticks = [tick for tick in ticks if tick < max(widest, 1)] + [
        next(tick for tick in ticks if tick >= max(widest, 1))
    ]
    axes.set_xticks(ticks)
    axes.set_xlim(0, max(ticks[-1] * 1.04, widest * 1.2, 1))
    axes.set_ylim(max(rows, 1) - 0.5, -0.5)
    axes.set_yticks(
        range(rows), [_wrap(bar.label, 26) for bar in chart.bars], color=TEXT_COLOUR
    )
    axes.tick_params(axis="y", length=0)
    axes.tick_params(axis="x", colors=TEXT_COLOUR)
    axes.set_xlabel("Number of actions due", color=TEXT_COLOUR)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.suptitle(_wrap(chart.title, 70), color=TEXT_COLOUR, fontsize=11)
    handles = [
        Patch(
            facecolor=colour,
            hatch=hatch,
            hatchcolor=hatch_colour,
            edgecolor="#ffffff",
            label=name.capitalize(),
        )
        for name, colour, hatch, hatch_colour in STATUS_SEGMENTS
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return figure


def _label_place(ys: Sequence[float], index: int) -> tuple[int, int, str]:
    """Where a point's label goes, clear of the line: (dx, dy) in points and alignment.

    A dip, or a point at the top of the scale, is labelled below; any other point
    above, pushed away from the side where the line climbs steeply.
    """
    here = ys[index]
    before = ys[index - 1] if index > 0 else None
    after = ys[index + 1] if index + 1 < len(ys) else None
    neighbours = [y for y in (before, after) if y is not None]
    if here >= 99.5 or (neighbours and all(y > here for y in neighbours)):
        return 0, -13, "center"
    if after is not None and after > here + 3:
        return -3, 5, "right"
    if before is not None and before > here + 3:
        return 3, 5, "left"
    return 0, 6, "center"


def _draw_trend(chart: TrendChart) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(FIGURE_WIDTH, 3.4), layout="constrained")
    axes = figure.add_subplot()
    xs = [index for index, (_, pct) in enumerate(chart.points) if pct is not None]
    ys = [pct for _, pct in chart.points if pct is not None]
    axes.plot(xs, ys, color="#0072b2", marker="o", linewidth=2, zorder=2)
    for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
        dx, dy, align = _label_place(ys, index)
        # One decimal place, as in the table: 79.2, never a rounded 79.
        axes.annotate(
            f"{y:.1f}",
            (x, y),
            textcoords="offset points",
            xytext=(dx, dy),
            ha=align,
            va="bottom",
            color=TEXT_COLOUR,
            fontsize=7,
            zorder=3,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "#ffffff", "linewidth": 0},
        )
    axes.set_ylim(0, 112)
    axes.set_yticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"])
    axes.set_xticks(
        range(len(chart.points)),
        [_clean(label) for label, _ in chart.points],
        rotation=45,
        ha="right",
    )
    axes.tick_params(colors=TEXT_COLOUR)
    axes.grid(axis="y", color=MUTED_COLOUR, linewidth=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_ylabel("Completion rate (%)", color=TEXT_COLOUR)
    figure.suptitle(_wrap(chart.title, 70), color=TEXT_COLOUR, fontsize=11)
    return figure


def _finish(raw: str, chart_id: str, title: str, description: str) -> str:
    """matplotlib's SVG made safe to inline, with its text alternatives."""
    root = ET.fromstring(raw)  # noqa: S314 - our own output, not user input
    prefix = chart_id + "-"
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    _sanitise(root, prefix)
    for name in ("width", "height", "version"):
        root.attrib.pop(name, None)
    title_element = ET.Element(f"{{{SVG_NS}}}title", {"id": prefix + "title"})
    title_element.text = _clean(title)
    desc = ET.Element(f"{{{SVG_NS}}}desc", {"id": prefix + "desc"})
    desc.text = description
    root.insert(0, desc)
    root.insert(0, title_element)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}title {prefix}desc")
    root.set("class", "portal-chart")
    root.set("id", chart_id)
    return ET.tostring(root, encoding="unicode")


@lru_cache(maxsize=64)
def status_chart_svg(chart: StatusChart) -> str:
    """The stacked status chart as inline SVG, cached by its data."""
    raw = figure_svg(lambda: _draw_status(chart))
    return _finish(raw, chart.chart_id, chart.title, status_description(chart))


@lru_cache(maxsize=64)
def trend_chart_svg(chart: TrendChart) -> str:
    """The completion-rate trend as inline SVG, cached by its data."""
    raw = figure_svg(lambda: _draw_trend(chart))
    return _finish(raw, chart.chart_id, chart.title, trend_description(chart))
