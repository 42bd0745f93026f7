"""Diverging stacked bar charts of likert results, as accessible SVG and as PNG.

One chart per item, one bar per wave (or per group and wave in a breakdown): the
negative answers (points 4 and 5) run left of the centre line, the positive ones
(points 1 and 2) right of it, and the neutral middle point is split half on each
side. Every bar carries its base n; a suppressed bar is drawn empty and says
"fewer than 5 responses", so a chart never shows more than the data table does.
Colours are colour-blind safe (Okabe-Ito) and every segment has its own hatching
as well, so the chart also reads in greyscale.

Charts are drawn with matplotlib's ``Figure`` API only. ``pyplot`` keeps global
figure state and is not safe in a web server, so it is never imported. Drawing is
serialised by a lock because matplotlib's font and text caches are not
thread-safe, and the few settings it only takes from ``rcParams`` are set inside
that lock with ``rc_context``.

The SVG is post-processed before anyone sees it (see ``_finish_svg``): inline
``style`` attributes become presentation attributes (the site's CSP forbids
inline styles), ids get a per-chart prefix (several charts share one page),
anything that is not plain SVG drawing is dropped, and a ``<title>`` and
``<desc>`` are added with ``role="img"`` and ``aria-labelledby``.

**Caching.** ``chart_svg`` and ``chart_png`` are memoised by the data they show:
``ChartData`` is a frozen, hashable value holding the item code, scale, labels
and per-bar counts, so the same numbers give the same cached chart and any change
in an answer gives a new key. The cache is an in-process LRU, so each worker
process keeps its own; nothing is shared between workers or kept across restarts,
and no invalidation is needed because stale data can never match a key.

Nothing here imports Flask or touches the database.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

from surveys.analysis import percent
from surveys.answers import SCALES

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

#: The smallest base a bar is shown with, unless the caller says otherwise.
DEFAULT_MIN_BASE = 5
#: How the positive, neutral and negative shares of each scale are named.
SHARE_LABELS: dict[str, tuple[str, str, str]] = {
    "agree5": ("agree", "neither agree nor disagree", "disagree"),
    "increase5": ("increased", "stayed the same", "decreased"),
    "effective5": ("more effective", "about the same", "less effective"),
}
#: Short column headings for the same shares.
SHARE_HEADINGS: dict[str, tuple[str, str, str]] = {
    "agree5": ("Agree", "Neither", "Disagree"),
    "increase5": ("Increased", "Stayed the same", "Decreased"),
    "effective5": ("More effective", "About the same", "Less effective"),
}
#: Okabe-Ito colours: blue for the positive points, grey for the middle,
#: orange and vermilion for the negative ones (safe for the common forms of
#: colour blindness), each with its own hatching and a hatch colour that
#: contrasts with the fill.
POINT_STYLES: tuple[tuple[str, str, str], ...] = (
    ("#0072b2", "//", "#ffffff"),
    ("#56b4e9", "/", "#0b0c0c"),
    ("#bbbbbb", "--", "#0b0c0c"),
    ("#e69f00", "\\", "#0b0c0c"),
    ("#d55e00", "\\\\", "#ffffff"),
)
TEXT_COLOUR = "#0b0c0c"
MUTED_COLOUR = "#505a5f"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# Settings matplotlib only reads from rcParams: text as <text> (small, searchable),
# stable ids and no maths parsing of "$" in question wording.
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "portal-charts",
    "text.parse_math": False,
    "font.size": 10,
    "hatch.linewidth": 1.0,
}
_LOCK = threading.Lock()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")

# Plain SVG drawing: anything else in matplotlib's output is dropped.
_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "path",
    "rect",
    "clipPath",
    "pattern",
    "use",
    "text",
    "tspan",
    "title",
    "desc",
    "line",
    "polyline",
    "polygon",
    "circle",
    "ellipse",
}
# Style properties matplotlib writes that are also SVG presentation attributes.
_PRESENTATION = {
    "clip-path",
    "dominant-baseline",
    "fill",
    "fill-opacity",
    "fill-rule",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "opacity",
    "stroke",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-opacity",
    "stroke-width",
    "text-anchor",
}
_FONT_FAMILY = "'DejaVu Sans', Arial, Helvetica, sans-serif"

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


@dataclass(frozen=True)
class Bar:
    """One bar: its label and the counts on points 1-5, or None when suppressed."""

    label: str
    counts: tuple[int, int, int, int, int] | None

    @property
    def base(self) -> int:
        """Answers on the five scale points (Don't know and blanks are not in it)."""
        return sum(self.counts) if self.counts is not None else 0


@dataclass(frozen=True)
class ChartData:
    """Everything a chart shows, and so its cache key."""

    item_code: str
    title: str
    scale: str
    #: The five point labels, most positive first.
    labels: tuple[str, str, str, str, str]
    bars: tuple[Bar, ...]
    min_base: int = DEFAULT_MIN_BASE


def point_labels(scale: str) -> tuple[str, str, str, str, str]:
    """The five labels of a scale, most positive first (agree5's if unknown)."""
    return SCALES.get(scale, SCALES["agree5"])


def share_labels(scale: str) -> tuple[str, str, str]:
    """How a scale's positive, neutral and negative shares read in a sentence."""
    return SHARE_LABELS.get(scale, SHARE_LABELS["agree5"])


def share_headings(scale: str) -> tuple[str, str, str]:
    """Column headings for a scale's positive, neutral and negative shares."""
    return SHARE_HEADINGS.get(scale, SHARE_HEADINGS["agree5"])


def suppressed_text(min_base: int) -> str:
    """What a suppressed bar or cell says instead of its numbers."""
    return f"fewer than {min_base} responses"


def _clean(text: str) -> str:
    """Text without control characters, which XML cannot hold."""
    return _CONTROL.sub("", text)


def chart_title(data: ChartData) -> str:
    """The chart's short text alternative: the question and what is shown."""
    return f"Answers to “{_clean(data.title)}”, by wave"


def chart_description(data: ChartData) -> str:
    """The chart's long text alternative: every bar's base and shares, in words."""
    positive, neutral, negative = share_labels(data.scale)
    parts = [
        "Diverging bar chart: negative answers left of the centre line, positive "
        "answers right of it, the middle answer split across it. Don't know and "
        "blank answers are left out."
    ]
    for bar in data.bars:
        label = _clean(bar.label)
        if bar.counts is None or bar.base == 0:
            parts.append(f"{label}: {suppressed_text(data.min_base)}.")
            continue
        c = bar.counts
        parts.append(
            f"{label} (n = {bar.base}): "
            f"{percent(c[0] + c[1], bar.base, 0):.0f}% {positive}, "
            f"{percent(c[2], bar.base, 0):.0f}% {neutral}, "
            f"{percent(c[3] + c[4], bar.base, 0):.0f}% {negative}."
        )
    return " ".join(parts)


def chart_id(item_code: str) -> str:
    """The id prefix of an item's chart: unique on a page of one chart per item."""
    return "chart-" + _UNSAFE_ID.sub("-", item_code)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(_clean(text), width)) or " "


def _draw(data: ChartData) -> Figure:
    """The chart as a matplotlib Figure (no pyplot, no canvas yet)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = len(data.bars)
    figure = Figure(figsize=(6.4, 1.9 + 0.5 * max(rows, 1)), layout="constrained")
    axes = figure.add_subplot()
    middle = 0.6  # bar height
    for row, bar in enumerate(data.bars):
        if bar.counts is None or bar.base == 0:
            axes.barh(
                row,
                200,
                left=-100,
                height=middle,
                fill=False,
                edgecolor=MUTED_COLOUR,
                linestyle="--",
                linewidth=1,
            )
            axes.text(
                0,
                row,
                suppressed_text(data.min_base),
                ha="center",
                va="center",
                color=TEXT_COLOUR,
                backgroundcolor="#ffffff",
                zorder=3,
            )
            continue
        shares = [100 * count / bar.base for count in bar.counts]
        half = shares[2] / 2
        # (point index, left edge, width), from the centre outwards on each side.
        segments = [
            (2, -half, half),
            (3, -half - shares[3], shares[3]),
            (4, -half - shares[3] - shares[4], shares[4]),
            (2, 0.0, half),
            (1, half, shares[1]),
            (0, half + shares[1], shares[0]),
        ]
        for point, left, width in segments:
            if width <= 0:
                continue
            colour, hatch, hatch_colour = POINT_STYLES[point]
            axes.barh(
                row,
                width,
                left=left,
                height=middle,
                color=colour,
                hatch=hatch,
                hatchcolor=hatch_colour,
                edgecolor="#ffffff",
                linewidth=0.8,
            )
        axes.text(
            1.01,
            row,
            f"n = {bar.base}",
            transform=axes.get_yaxis_transform(),
            ha="left",
            va="center",
            color=TEXT_COLOUR,
        )
    axes.axvline(0, color=TEXT_COLOUR, linewidth=1)
    axes.set_xlim(-100, 100)
    axes.set_ylim(max(rows, 1) - 0.5, -0.5)
    axes.set_xticks(
        [-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"], color=TEXT_COLOUR
    )
    axes.set_yticks(
        range(rows), [_wrap(bar.label, 24) for bar in data.bars], color=TEXT_COLOUR
    )
    axes.tick_params(axis="y", length=0)
    positive, _, negative = share_labels(data.scale)
    # No-break spaces: SVG collapses runs of ordinary spaces.
    gap = "\u00a0" * 8
    axes.set_xlabel(
        f"← {negative}{gap}% of answers{gap}{positive} →", color=TEXT_COLOUR
    )
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    figure.suptitle(_wrap(data.title, 70), color=TEXT_COLOUR, fontsize=11)
    handles = [
        Patch(
            facecolor=colour,
            hatch=hatch,
            hatchcolor=hatch_colour,
            edgecolor="#ffffff",
            label=_clean(label),
        )
        for (colour, hatch, hatch_colour), label in zip(
            POINT_STYLES, data.labels, strict=True
        )
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return figure


def _style_to_attributes(element: ET.Element) -> None:
    style = element.attrib.pop("style", "")
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name in _PRESENTATION and value:
            element.set(name, value)


def _sanitise(element: ET.Element, prefix: str) -> None:
    """Keep plain drawing only; prefix ids and the references to them."""
    for child in list(element):
        tag = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
        if tag not in _ELEMENTS:
            element.remove(child)
            continue
        _sanitise(child, prefix)
    _style_to_attributes(element)
    for name, value in list(element.attrib.items()):
        local = name.rpartition("}")[2]
        if local.lower().startswith("on"):
            del element.attrib[name]
        elif local == "id":
            element.set(name, prefix + value)
        elif local == "href":
            if value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
            else:
                del element.attrib[name]
        elif "url(#" in value:
            element.set(name, value.replace("url(#", "url(#" + prefix))
    if "font-family" in element.attrib:
        element.set("font-family", _FONT_FAMILY)


def _finish_svg(raw: str, data: ChartData) -> str:
    """matplotlib's SVG made safe to inline, with its text alternatives."""
    root = ET.fromstring(raw)  # noqa: S314 - our own output, not user input
    prefix = chart_id(data.item_code) + "-"
    # matplotlib's one <style> sets these for every element; inherit them instead.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    _sanitise(root, prefix)
    for name in ("width", "height", "version"):
        root.attrib.pop(name, None)
    title = ET.Element(f"{{{SVG_NS}}}title", {"id": prefix + "title"})
    title.text = chart_title(data)
    desc = ET.Element(f"{{{SVG_NS}}}desc", {"id": prefix + "desc"})
    desc.text = chart_description(data)
    root.insert(0, desc)
    root.insert(0, title)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}title {prefix}desc")
    root.set("class", "portal-chart")
    root.set("id", prefix[:-1])
    return ET.tostring(root, encoding="unicode")


def figure_svg(draw: Callable[[], Figure]) -> str:
    """The figure ``draw`` makes, as matplotlib's raw SVG (see ``_finish_svg``).

    matplotlib is imported here, on the first chart, not at start-up: it costs
    about 60 MB that a worker which never draws need not pay.
    """
    import matplotlib

    with _LOCK, matplotlib.rc_context(_RC):
        buffer = io.StringIO()
        draw().savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def figure_png(draw: Callable[[], Figure]) -> bytes:
    """The figure ``draw`` makes, as a PNG image at 150 dpi."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _LOCK, matplotlib.rc_context(_RC):
        figure = draw()
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()


@lru_cache(maxsize=256)
def chart_svg(data: ChartData) -> str:
    """The chart as an SVG document (no XML declaration), cached by its data."""
    return _finish_svg(figure_svg(lambda: _draw(data)), data)


@lru_cache(maxsize=64)
def chart_png(data: ChartData) -> bytes:
    """The chart as a PNG image, cached by its data."""
    return figure_png(lambda: _draw(data))


def cache_clear() -> None:
    """Empty both chart caches (tests, or to free memory)."""
    chart_svg.cache_clear()
    chart_png.cache_clear()
