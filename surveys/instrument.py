"""The instrument CSV: check a questionnaire file, build a survey from it, export it.

The format is a contract (DESIGN.md, "Instrument CSV"): the columns
``code,section,preamble,text,type,scale,options,required``, one row per item.
Consecutive rows with the same ``section`` form one section; its preamble sits
on the section's first row.

Checking is all-or-nothing, like the people import: ``check_instrument_csv``
reads the whole file without touching the database and names every problem by
spreadsheet row (the header is row 1) and column; a survey is only built from a
check with no problems.

Exports are canonical: UTF-8 without a BOM, ``\\n`` line endings (a final one
too), the header row first, cells quoted only when they must be, the preamble on
the first row of each section only and ``required`` as ``yes``/``no``. A file
written that way imports and exports back to the same text, byte for byte.
Cells that a spreadsheet would run as a formula are exported with a leading
``'`` (``portal.spreadsheets.safe_cell``), and an import removes that quote again.
Cells are trimmed on import and ``type``, ``scale`` and ``required`` are read in
any case, so only files already in canonical form come back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from importlib import resources

from sqlalchemy import select

from portal.errors import PortalError
from portal.extensions import db
from portal.models import Partnership
from portal.models import Programme
from portal.spreadsheets import safe_cell
from surveys.answers import SCALES
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Section
from surveys.models import Survey
from surveys.models import SurveyMode

COLUMNS = (
    "code",
    "section",
    "preamble",
    "text",
    "type",
    "scale",
    "options",
    "required",
)
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
MAX_TEXT_LENGTH = 2000
MAX_SECTION_LENGTH = 200
MAX_TITLE_LENGTH = 200
TEMPLATE_TITLE = "Partnership working survey"
_TEMPLATE_FILE = "data/partnership_working.csv"
_CHOICE_TYPES = (ItemType.SINGLE, ItemType.MULTI)


class InstrumentError(PortalError):
    """The survey cannot be built: a bad or taken slug, no scope, or a bad file."""


@dataclass
class InstrumentRow:
    """One item of a checked instrument CSV, with its cells cleaned."""

    line: int
    code: str
    section: str
    preamble: str
    text: str
    type: ItemType | None
    scale: str
    options: str
    required: bool


@dataclass
class InstrumentCheck:
    """The checked contents of an instrument CSV."""

    rows: list[InstrumentRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """True when the file has no problems."""
        return not self.problems

    @property
    def section_count(self) -> int:
        """How many sections the rows form."""
        return len(_group_sections(self.rows))


def _show(value: str, limit: int = 40) -> str:
    """A cell's value quoted for a one-line message."""
    flat = " ".join(value.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"“{flat}”"


def _clean(cell: str) -> str:
    """Trim a cell and undo the formula guard that exports add."""
    value = cell.strip()
    if value.startswith("'") and safe_cell(value[1:]) == value:
        return value[1:]
    return value


def _check_header(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    problems: list[str] = []
    expected = ",".join(COLUMNS)
    for name in names:
        if name not in COLUMNS:
            label = _show(name) if name else "A blank column name"
            problems.append(
                f"Row 1: {label} is not a column (the columns are {expected})"
            )
    for name in COLUMNS:
        count = names.count(name)
        if count == 0:
            problems.append(f"Row 1: column {name} is missing")
        elif count > 1:
            problems.append(f"Row 1: column {name} appears {count} times")
    return problems


def check_instrument_csv(text: str) -> InstrumentCheck:
    """Check every row of an instrument CSV without saving anything.

    Returns every problem found, each naming its row (the header is row 1) and
    column. Rows are only checked once the header is right.
    """
    content = text.removeprefix("\ufeff")
    if not content.strip():
        return InstrumentCheck(problems=["The file is empty"])
    if "\0" in content:
        return InstrumentCheck(
            problems=["The file is not a CSV file: it has NUL bytes"]
        )
    try:
        records = list(csv.reader(io.StringIO(content)))
    except csv.Error as error:
        return InstrumentCheck(problems=[f"The file is not valid CSV: {error}"])
    header_problems = _check_header(records[0])
    if header_problems:
        return InstrumentCheck(problems=header_problems)
    names = [name.strip().lower() for name in records[0]]
    check = InstrumentCheck()
    codes: dict[str, int] = {}
    #: Section name -> (row it starts on, its preamble); the last one is open.
    sections: dict[str, tuple[int, str]] = {}
    current_section: str | None = None
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # Spreadsheets leave blank rows behind; they mean nothing.
        if len(record) != len(names):
            check.problems.append(
                f"Row {line}: has {len(record)} cells but the header has {len(names)}"
            )
            continue
        values = {name: _clean(cell) for name, cell in zip(names, record, strict=True)}
        row = _check_row(line, values, check.problems)
        if row.code:
            if row.code in codes:
                check.problems.append(
                    f"Row {line}, column code: {_show(row.code)} is also on row "
                    f"{codes[row.code]}"
                )
            codes.setdefault(row.code, line)
        if row.section and row.section != current_section:
            if row.section in sections:
                check.problems.append(
                    f"Row {line}, column section: {_show(row.section)} started on row "
                    f"{sections[row.section][0]} and another section came between; "
                    "keep a section's rows together"
                )
            else:
                sections[row.section] = (line, row.preamble)
            current_section = row.section
        elif row.section:
            start, preamble = sections[row.section]
            if row.preamble and not preamble:
                check.problems.append(
                    f"Row {line}, column preamble: a section's preamble goes on its "
                    f"first row (row {start} for {_show(row.section)})"
                )
            elif row.preamble and row.preamble != preamble:
                check.problems.append(
                    f"Row {line}, column preamble: differs from the preamble of "
                    f"section {_show(row.section)} on row {start}; leave it blank "
                    "or repeat it exactly"
                )
            row.preamble = preamble
        check.rows.append(row)
    if not check.rows and not check.problems:
        check.problems.append("The file has a header but no questions")
    return check


def _check_row(line: int, values: dict[str, str], problems: list[str]) -> InstrumentRow:
    """Check one row's cells, adding a problem for each bad one."""

    def problem(column: str, message: str) -> None:
        problems.append(f"Row {line}, column {column}: {message}")

    code = values["code"]
    if not code:
        problem("code", "missing")
    elif not CODE_PATTERN.fullmatch(code):
        problem(
            "code",
            f"{_show(code)} is not a valid code (a lower-case letter, then up to 63 "
            "lower-case letters, digits or underscores)",
        )
    section = values["section"]
    if not section:
        problem("section", "missing")
    elif len(section) > MAX_SECTION_LENGTH:
        problem(
            "section",
            f"is {len(section)} characters long; the most is {MAX_SECTION_LENGTH}",
        )
    text = values["text"]
    if not text:
        problem("text", "missing")
    elif len(text) > MAX_TEXT_LENGTH:
        problem(
            "text", f"is {len(text)} characters long; the most is {MAX_TEXT_LENGTH}"
        )
    item_type: ItemType | None = None
    type_name = values["type"].lower()
    type_list = ", ".join(kind.value for kind in ItemType)
    if not type_name:
        problem("type", f"missing ({type_list})")
    else:
        try:
            item_type = ItemType(type_name)
        except ValueError:
            problem("type", f"{_show(values['type'])} is not a type ({type_list})")
    scale = values["scale"].lower()
    scale_list = ", ".join(SCALES)
    if item_type is ItemType.LIKERT:
        if not scale:
            problem("scale", f"a likert item needs a scale ({scale_list})")
        elif scale not in SCALES:
            problem("scale", f"{_show(values['scale'])} is not a scale ({scale_list})")
    elif item_type is not None and scale:
        problem("scale", f"must be blank for a {item_type.value} item")
    options = values["options"]
    if item_type in _CHOICE_TYPES:
        options = _check_options(options, item_type, problem)
    elif item_type is not None and options:
        problem("options", f"must be blank for a {item_type.value} item")
    required = values["required"].lower()
    if required not in ("yes", "no"):
        shown = _show(values["required"]) + " is not" if required else "missing:"
        problem("required", f"{shown} yes or no")
    return InstrumentRow(
        line=line,
        code=code,
        section=section,
        preamble=values["preamble"],
        text=text,
        type=item_type,
        scale=scale if item_type is ItemType.LIKERT else "",
        options=options,
        required=required == "yes",
    )


def _check_options(
    options: str, item_type: ItemType | None, problem: Callable[[str, str], None]
) -> str:
    """The options of a choice item with spaces trimmed around each label."""
    kind = item_type.value if item_type else "choice"
    if not options:
        problem("options", f"a {kind} item needs at least 2 choices separated by |")
        return ""
    labels = [label.strip() for label in options.split("|")]
    if any(not label for label in labels):
        problem("options", "has an empty choice (two | together, or one at an end)")
    labels = [label for label in labels if label]
    if len(labels) < 2:
        problem("options", f"a {kind} item needs at least 2 choices separated by |")
    seen: set[str] = set()
    for label in labels:
        if label.casefold() in seen:
            problem("options", f"{_show(label)} is listed twice")
        seen.add(label.casefold())
    return "|".join(labels)


def _group_sections(rows: list[InstrumentRow]) -> list[list[InstrumentRow]]:
    """Consecutive rows with the same section name, in file order."""
    groups: list[list[InstrumentRow]] = []
    for row in rows:
        if groups and groups[-1][0].section == row.section:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def create_survey_from_instrument(
    check: InstrumentCheck,
    *,
    slug: str,
    title: str,
    partnership: Partnership | None,
    programme: Programme | None,
    mode: SurveyMode = SurveyMode.IDENTIFIED,
) -> Survey:
    """Add a survey with the checked sections and items; the caller commits.

    :raise InstrumentError: if the check has problems, the slug is invalid or
        taken, the title is blank or too long, or not exactly one of
        ``partnership`` and ``programme`` is given.
    """
    if not check.is_valid:
        raise InstrumentError(
            f"The instrument has {len(check.problems)} problem(s): {check.problems[0]}"
        )
    if not check.rows:
        raise InstrumentError("The instrument has no questions")
    if not SLUG_PATTERN.fullmatch(slug):
        raise InstrumentError(
            f"{slug!r} is not a valid survey slug: use 2 to 64 lower-case letters, "
            "numbers and hyphens, starting with a letter or number"
        )
    title = title.strip()
    if not title or len(title) > MAX_TITLE_LENGTH:
        raise InstrumentError(
            f"The survey needs a title of 1 to {MAX_TITLE_LENGTH} characters"
        )
    if (partnership is None) == (programme is None):
        raise InstrumentError("A survey covers either a partnership or a programme")
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise InstrumentError(f"A survey called {slug!r} already exists")
    survey = Survey(
        slug=slug,
        title=title,
        mode=mode,
        partnership=partnership,
        programme=programme,
    )
    position = 0
    for section_position, rows in enumerate(_group_sections(check.rows), start=1):
        section = Section(
            survey=survey,
            position=section_position,
            title=rows[0].section,
            preamble=rows[0].preamble,
        )
        for row in rows:
            if row.type is None:  # Cannot happen in a valid check.
                raise InstrumentError(f"Row {row.line}: the item has no type")
            position += 1
            Item(
                survey=survey,
                section=section,
                position=position,
                code=row.code,
                text=row.text,
                type=row.type,
                scale=row.scale,
                options=row.options,
                required=row.required,
            )
    db.session.add(survey)
    db.session.flush()
    return survey


def export_instrument_csv(survey: Survey) -> str:
    """The survey's questionnaire as an instrument CSV in canonical form.

    Sections come in their order and items in order within each, so the file
    always imports again.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for section in survey.sections:
        for index, item in enumerate(section.items):
            writer.writerow(
                safe_cell(cell)
                for cell in (
                    item.code,
                    section.title,
                    section.preamble if index == 0 else "",
                    item.text,
                    item.type.value,
                    item.scale if item.type is ItemType.LIKERT else "",
                    item.options if item.type in _CHOICE_TYPES else "",
                    "yes" if item.required else "no",
                )
            )
    return buffer.getvalue()


def template_csv() -> str:
    """The "Partnership working survey" instrument shipped with the portal."""
    return (
        resources.files("surveys").joinpath(_TEMPLATE_FILE).read_text(encoding="utf-8")
    )
