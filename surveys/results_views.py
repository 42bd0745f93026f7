"""A survey's results: response rates, a summary of every likert item, a chart and a
data table per item, and the report downloads (CSV, XLSX, each chart as SVG/PNG).

Results are respondent-level data, so every route, fragment and download loads
the survey with ``load_survey(slug, respondents=True)``: administrators, and a
partnership survey's coordinators and board members. Anyone else gets the same
404 (or 403) as on the survey's other respondent pages.

The numbers come from ``surveys.report`` (database counts) and
``surveys.analysis`` (statistics and suppression); this module chooses, arranges
and formats them. Percentages on the page are whole numbers, rounded once from
the counts; the CSV keeps the report's one decimal place. The flags are those of
the report: each wave is compared with the previous wave chosen, and the p-values
of all the survey's likert items are Holm-adjusted together whatever section is
shown, so the page and the downloads always agree. "Since the first wave" is a
second report of the first and latest waves alone, adjusted in the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import make_response
from flask import request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from portal.access import login_required
from portal.errors import PortalError
from portal.htmx import is_partial_request
from portal.htmx import render_page_or_partial
from portal.spreadsheets import Sheet
from portal.spreadsheets import xlsx_bytes
from surveys import charts
from surveys import fieldwork
from surveys import release
from surveys.access import load_survey
from surveys.analysis import ALL
from surveys.analysis import REPORT_COLUMNS
from surveys.analysis import Flag
from surveys.analysis import ReportRow
from surveys.analysis import analyse
from surveys.analysis import change_pp
from surveys.analysis import percent
from surveys.models import Item
from surveys.models import Section
from surveys.models import Survey
from surveys.models import Wave
from surveys.report import BREAKDOWNS
from surveys.report import NOT_KNOWN
from surveys.report import count_frame
from surveys.report import likert_items
from surveys.report import report_rows
from surveys.report import rows_csv
from surveys.report import wording_warnings

# pandas is imported where a frame is made: building the app must not pay for it.
if TYPE_CHECKING:
    import pandas as pd

bp = Blueprint("results", __name__, url_prefix="/surveys/<slug>/results")

#: The breakdowns offered, with how the form names them ("" is none).
BREAKDOWN_CHOICES = {
    "": "No breakdown",
    "partnership": "Partnership",
    "sector": "Sector",
    "role": "Organisation's role (lead or partner)",
    "scope": "National or local partnership",
}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_MINUS = "\u2212"


class ResultsQueryError(PortalError):
    """A results address asking for something the survey does not have."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# The question asked ---------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The waves, breakdown and section asked for, checked against the survey."""

    waves: tuple[Wave, ...]
    by: str | None = None
    section: Section | None = None

    @property
    def numbers(self) -> list[int]:
        """The chosen wave numbers, ascending."""
        return [wave.number for wave in self.waves]

    def args(self) -> dict[str, Any]:
        """Query-string arguments that ask for the same results."""
        args: dict[str, Any] = {"waves": self.numbers}
        if self.by:
            args["by"] = self.by
        if self.section is not None:
            args["section"] = self.section.id
        return args


def _and_list(numbers: Sequence[int], conjunction: str = "and") -> str:
    words = [str(number) for number in numbers]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def _waves_text(numbers: Sequence[int], conjunction: str = "and") -> str:
    """How waves read in a sentence: "wave 1" or "waves 1, 2 and 3"."""
    plural = "s" if len(numbers) > 1 else ""
    return f"wave{plural} {_and_list(numbers, conjunction)}"


def parse_query(survey: Survey, args: MultiDict[str, str]) -> Query:
    """The results a query string asks for; ResultsQueryError says what is wrong.

    No ``waves`` means every wave. Malformed values are a 400; a wave or section
    the survey does not have is a 404.
    """
    raw = [value.strip() for value in args.getlist("waves") if value.strip()]
    if any(not _WHOLE_NUMBER.fullmatch(value) for value in raw):
        raise ResultsQueryError("Wave numbers must be whole numbers, like 1 or 3.")
    wanted = sorted({int(value) for value in raw})
    available = [wave.number for wave in survey.waves]
    missing = [number for number in wanted if number not in available]
    if missing:
        known = (
            f" Its waves are {_and_list(available)}." if available else " It has none."
        )
        raise ResultsQueryError(
            f"This survey has no wave {missing[0]}.{known}", status=404
        )
    waves = tuple(wave for wave in survey.waves if not wanted or wave.number in wanted)
    by = args.get("by", "").strip()
    if by == "none":
        by = ""
    if by and by not in BREAKDOWNS:
        raise ResultsQueryError(
            "Choose a breakdown from the list: none, partnership, sector, "
            "role or scope."
        )
    section = None
    section_id = args.get("section", "").strip()
    if section_id:
        if not _WHOLE_NUMBER.fullmatch(section_id):
            raise ResultsQueryError("Choose a section from the list.")
        section = next(
            (found for found in survey.sections if found.id == int(section_id)), None
        )
        if section is None:
            raise ResultsQueryError("This survey has no such section.", status=404)
    return Query(waves=waves, by=by or None, section=section)


# What the page shows ------------------------------------------------------------------


@dataclass(frozen=True)
class WaveRate:
    """A wave's fieldwork: invited and submitted where invitations were sent, the
    responses analysed (imported waves have responses but no invitations), and
    those an open anonymous wave still holds back (``surveys.release``)."""

    wave: Wave
    invited: int | None
    submitted: int | None
    rate: str
    responses: int
    held: int = 0


@dataclass(frozen=True)
class Cell:
    """One row of an item's data table: a group in a wave, formatted for people."""

    group: str
    wave: int
    suppressed: bool
    base_n: int | None = None
    positive: str = ""
    neutral: str = ""
    negative: str = ""
    dont_know: int | None = None
    change: str = ""
    #: The change unrounded, for sorting; None when there is none.
    change_value: float | None = None
    flag: str = ""
    counts: tuple[int, int, int, int, int] | None = None


@dataclass(frozen=True)
class Change:
    """A comparison in the summary: since which wave, how much, and the flag."""

    since: int
    text: str
    value: float | None
    flag: str

    @property
    def reliable(self) -> bool:
        """True when the test says the change is unlikely to be chance."""
        return self.flag in (Flag.IMPROVED, Flag.DECLINED)


@dataclass(frozen=True)
class SummaryLine:
    """An item in the summary table: its latest wave and its changes."""

    item: Item
    latest: Cell
    since_previous: Change | None
    since_first: Change | None

    @property
    def reliable_size(self) -> float | None:
        """The biggest reliable change, in percentage points, or None."""
        sizes = [
            abs(change.value)
            for change in (self.since_previous, self.since_first)
            if change is not None and change.reliable and change.value is not None
        ]
        return max(sizes) if sizes else None


@dataclass(frozen=True)
class ItemResult:
    """An item's chart, data table and any warning about its wording."""

    item: Item
    headings: tuple[str, str, str]
    cells: list[Cell]
    chart: charts.ChartData
    svg: Markup
    warning: str = ""


@dataclass
class Results:
    """Everything the results fragment shows."""

    rates: list[WaveRate] = field(default_factory=list)
    responses: int = 0
    message: str = ""
    summary: list[SummaryLine] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)


def inline_svg(data: charts.ChartData) -> Markup:
    """A chart as HTML: our own SVG, sanitised by ``charts``, trusted here only."""
    return Markup(charts.chart_svg(data))  # noqa: S704 - generated and sanitised by us


def _int(value: Any) -> int | None:
    import pandas as pd

    return None if pd.isna(value) else int(value)


def _percent_text(count: int | None, base: int | None) -> str:
    if count is None or base is None:
        return ""
    value = percent(count, base, 0)
    return "" if value is None else f"{value:.0f}%"


def _change_text(value: float | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "0 pp"
    sign = "+" if value > 0 else _MINUS
    return f"{sign}{abs(value):.0f} pp"


def _cell(record: Mapping[Any, Any]) -> Cell:
    group, wave = str(record["group"]), int(record["wave"])
    base = _int(record["base_n"])
    flag = str(record["flag"])
    if bool(record["suppressed"]) or base is None or base == 0:
        return Cell(group=group, wave=wave, suppressed=True, flag=Flag.SUPPRESSED)
    positive, neutral, negative = (
        _int(record["n_positive"]),
        _int(record["n_neutral"]),
        _int(record["n_negative"]),
    )
    prev_base, prev_positive = (
        _int(record["prev_base_n"]),
        _int(record["prev_n_positive"]),
    )
    change = exact = None
    if prev_base and prev_positive is not None and positive is not None:
        change = change_pp(positive, base, prev_positive, prev_base, 0)
        exact = 100 * (positive / base - prev_positive / prev_base)
    counts = tuple(_int(record[f"n_{point}"]) or 0 for point in range(1, 6))
    return Cell(
        group=group,
        wave=wave,
        suppressed=False,
        base_n=base,
        positive=_percent_text(positive, base),
        neutral=_percent_text(neutral, base),
        negative=_percent_text(negative, base),
        dont_know=_int(record["n_dk"]),
        change=_change_text(change),
        change_value=exact,
        flag=flag,
        counts=(counts[0], counts[1], counts[2], counts[3], counts[4]),
    )


def _cells_by_item(result: pd.DataFrame) -> dict[str, list[Cell]]:
    cells: dict[str, list[Cell]] = {}
    for record in result.to_dict("records"):
        cells.setdefault(str(record["item_code"]), []).append(_cell(record))
    return cells


def _ordered_groups(counts: pd.DataFrame) -> list[str]:
    """Groups by name, "Not known" last (as ``surveys.report`` orders them)."""
    names = sorted({str(name) for name in counts["group"]})
    return [name for name in names if name != NOT_KNOWN] + (
        [NOT_KNOWN] if NOT_KNOWN in names else []
    )


def _analysis(
    survey: Survey,
    waves: Sequence[Wave],
    by: str | None,
    codes: Sequence[str],
    counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``analyse`` exactly as ``report_rows`` calls it, so flags match the report."""
    if counts is None:
        counts = count_frame(survey, waves, by)
    return analyse(
        counts,
        items=list(codes),
        waves=[wave.number for wave in waves],
        groups=[ALL] if by is None else _ordered_groups(counts),
        min_base=release.min_base(),
    )


def _chart_data(item: Item, cells: Sequence[Cell], by: str | None) -> charts.ChartData:
    bars = tuple(
        charts.Bar(
            label=f"Wave {cell.wave}"
            if by is None
            else f"{cell.group}, wave {cell.wave}",
            counts=None if cell.suppressed else cell.counts,
        )
        for cell in cells
    )
    return charts.ChartData(
        item_code=item.code,
        title=item.text,
        scale=item.scale,
        labels=charts.point_labels(item.scale),
        bars=bars,
        min_base=release.min_base(),
    )


def wave_rates(waves: Sequence[Wave]) -> list[WaveRate]:
    """Each wave's invited, submitted, rate, responses analysed and held back."""
    rates = []
    for wave in waves:
        stored = release.tally(wave)
        rows = fieldwork.response_rates(wave)
        invited = rows[0].invited if rows else None
        submitted = rows[0].submitted if rows else None
        rate = "" if not invited else f"{percent(submitted or 0, invited, 0):.0f}%"
        rates.append(
            WaveRate(
                wave=wave,
                invited=invited,
                submitted=submitted,
                rate=rate,
                responses=stored.counted,
                held=stored.held,
            )
        )
    return rates


def _summary(
    items: Sequence[Item],
    overall: dict[str, list[Cell]],
    since_first: dict[str, list[Cell]] | None,
    numbers: Sequence[int],
) -> list[SummaryLine]:
    lines = []
    for item in items:
        cells = overall[item.code]
        latest = cells[-1]
        previous = first = None
        if len(numbers) > 1:
            previous = Change(
                since=numbers[-2],
                text=latest.change,
                value=latest.change_value,
                flag=latest.flag,
            )
            first = previous
        if since_first is not None:
            last = since_first[item.code][-1]
            first = Change(
                since=numbers[0],
                text=last.change,
                value=last.change_value,
                flag=last.flag,
            )
        lines.append(SummaryLine(item, latest, previous, first))
    position = {line.item.code: index for index, line in enumerate(lines)}

    def order(line: SummaryLine) -> tuple[int, float, int]:
        size = line.reliable_size
        if size is not None:
            return (0, -size, position[line.item.code])
        return (1, 0.0, position[line.item.code])

    return sorted(lines, key=order)


def shown_items(survey: Survey, section: Section | None) -> list[Item]:
    """The likert items on the page: all, or those of one section."""
    items = likert_items(survey)
    if section is None:
        return items
    return [item for item in items if item.section_id == section.id]


def build_results(survey: Survey, query: Query) -> Results:
    """Response rates, the summary and every shown item's chart and table."""
    waves = list(query.waves)
    results = Results(rates=wave_rates(waves))
    results.responses = sum(rate.responses for rate in results.rates)
    all_items = likert_items(survey)
    items = shown_items(survey, query.section)
    if not all_items:
        results.message = (
            "This survey has no rating-scale questions, so there are no results "
            "to show."
        )
        return results
    if not items:
        results.message = (
            "This section has no rating-scale questions. Choose another section."
        )
        return results
    if results.responses == 0:
        results.message = (
            f"There are no responses in {_waves_text(query.numbers, 'or')} yet, "
            "so there are no results to show."
        )
        if any(rate.held for rate in results.rates):
            results.message = (
                f"No responses in {_waves_text(query.numbers, 'or')} have been "
                "released into the results yet, so there are none to show."
            )
        return results
    codes = [item.code for item in all_items]
    overall_counts = count_frame(survey, waves)
    overall = _cells_by_item(_analysis(survey, waves, None, codes, overall_counts))
    since_first = None
    if len(waves) > 2:
        # The first and latest waves as a report of their own (its own Holm family).
        ends = [waves[0], waves[-1]]
        since_first = _cells_by_item(
            _analysis(survey, ends, None, codes, overall_counts)
        )
    detail = overall
    if query.by is not None:
        detail = _cells_by_item(_analysis(survey, waves, query.by, codes))
    results.summary = _summary(items, overall, since_first, query.numbers)
    warnings = wording_warnings(survey, waves)
    for item in items:
        cells = detail.get(item.code, [])
        chart = _chart_data(item, cells, query.by)
        results.items.append(
            ItemResult(
                item=item,
                headings=charts.share_headings(item.scale),
                cells=cells,
                chart=chart,
                svg=inline_svg(chart),
                warning=warnings.get(item.code, ""),
            )
        )
    return results


# Downloads ------------------------------------------------------------------------------


def _download(content: str | bytes, filename: str, mimetype: str) -> Response:
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(survey: Survey, query: Query, suffix: str) -> str:
    name = f"{survey.slug}-results-waves-{'-'.join(map(str, query.numbers))}"
    if query.by:
        name += f"-by-{query.by}"
    if query.section is not None:
        name += f"-section-{query.section.position}"
    return f"{name}{suffix}"


def _report_rows(survey: Survey, query: Query) -> list[ReportRow]:
    rows = report_rows(survey, query.numbers, query.by, release.min_base())
    if query.section is None:
        return rows
    codes = {item.code for item in shown_items(survey, query.section)}
    return [row for row in rows if row["item_code"] in codes]


def report_xlsx(survey: Survey, query: Query, rows: Sequence[ReportRow]) -> bytes:
    """The report rows as a workbook: "Report" (the CSV's columns) and "About"."""
    notes: list[tuple[str, str]] = [
        ("Survey", survey.title),
        ("Waves", _waves_text(query.numbers)),
        ("Breakdown", BREAKDOWN_CHOICES[query.by or ""]),
        ("Section", query.section.title if query.section else "All sections"),
        (
            "Suppression",
            f"Groups with {charts.suppressed_text(release.min_base())} are blank and "
            "flagged 'suppressed', with a second group where needed so the first "
            "cannot be worked out from the total.",
        ),
        (
            "Percentages",
            "Of the answers on the five-point scale; Don't know and blanks are "
            "left out.",
        ),
        (
            "Flags",
            "Each wave against the previous wave listed: two-proportion test "
            "(Fisher's exact test for small counts), Holm-adjusted across all "
            "questions at the 5% level.",
        ),
    ]
    for code, warning in wording_warnings(survey, list(query.waves)).items():
        notes.append((f"Wording: {code}", warning))
    return xlsx_bytes(
        [
            Sheet(
                "Report",
                ([row[column] for column in REPORT_COLUMNS] for row in rows),
                header=REPORT_COLUMNS,
            ),
            Sheet("About", notes),
        ]
    )


# Routes ------------------------------------------------------------------------------


def _form_context(survey: Survey, query: Query | None) -> dict[str, Any]:
    chosen = set(query.numbers) if query is not None else set()
    sections = [
        section
        for section in survey.sections
        if any(item.section_id == section.id for item in likert_items(survey))
    ]
    return {
        "wave_choices": [(wave, wave.number in chosen) for wave in survey.waves],
        "breakdowns": BREAKDOWN_CHOICES,
        "sections": sections,
        "chosen_by": (query.by or "") if query else "",
        "chosen_section": query.section.id if query and query.section else None,
    }


@bp.get("")
@login_required
def page(slug: str) -> ResponseReturnValue:
    """The results page, or its results alone for htmx; the form works without JS."""
    survey = load_survey(slug, respondents=True)
    problem = ""
    status = 200
    query: Query | None = None
    results = Results()
    if not survey.waves:
        results.message = "This survey has no waves yet, so there are no results."
    else:
        try:
            query = parse_query(survey, request.args)
        except ResultsQueryError as error:
            problem, status = error.message, error.status
        else:
            results = build_results(survey, query)
    return render_page_or_partial(
        "results/page.html",
        "results/_results.html",
        status=status,
        survey=survey,
        query=query,
        results=results,
        problem=problem,
        fragment=is_partial_request(),
        min_base=release.min_base(),
        suppressed=charts.suppressed_text(release.min_base()),
        share_labels=charts.share_labels,
        **_form_context(survey, query),
    )


@bp.get("/report.<fmt>")
@login_required
def report(slug: str, fmt: str) -> ResponseReturnValue:
    """The report of the chosen waves and breakdown as CSV (DESIGN.md) or XLSX."""
    survey = load_survey(slug, respondents=True)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    if not survey.waves:
        raise ResultsQueryError("This survey has no waves yet.", status=404)
    query = parse_query(survey, request.args)
    rows = _report_rows(survey, query)
    if fmt == "csv":
        return _download(rows_csv(rows), _filename(survey, query, ".csv"), "text/csv")
    return _download(
        report_xlsx(survey, query, rows),
        _filename(survey, query, ".xlsx"),
        XLSX_MIMETYPE,
    )


@bp.get("/charts/<code>.<fmt>")
@login_required
def chart(slug: str, code: str, fmt: str) -> ResponseReturnValue:
    """One item's chart for the chosen waves and breakdown, as SVG or PNG."""
    survey = load_survey(slug, respondents=True)
    if fmt not in ("svg", "png"):
        abort(404)
    item = next((found for found in likert_items(survey) if found.code == code), None)
    if item is None:
        abort(404)
    if not survey.waves:
        raise ResultsQueryError("This survey has no waves yet.", status=404)
    query = parse_query(survey, request.args)
    # Suppression is decided per item and wave, so this item's analysis alone
    # hides exactly what the page hides.
    cells = _cells_by_item(_analysis(survey, list(query.waves), query.by, [code]))
    data = _chart_data(item, cells.get(code, []), query.by)
    name = _filename(survey, query, f"-{code}.{fmt}")
    if fmt == "svg":
        return _download(
            '<?xml version="1.0" encoding="utf-8"?>\n' + charts.chart_svg(data),
            name,
            "image/svg+xml",
        )
    return _download(charts.chart_png(data), name, "image/png")
