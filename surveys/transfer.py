"""Responses in and out: CSV import of historical waves, CSV and XLSX export.

The import is all-or-nothing: ``check_responses_csv`` reads the whole file and
reports every problem with its spreadsheet row and column, ``import_responses``
saves only a check without problems. Every cell goes through
``normalise_answer``, so an imported answer is one the questionnaire could
have stored. A file written in the export format with labels imports and
exports back byte for byte: UTF-8 without a BOM, ``\\n`` line endings, cells
quoted only when they must be. Exported cells a spreadsheet would run as a
formula get a leading ``'`` (``safe_cell``), which an import removes again.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.errors import PortalError
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.spreadsheets import Sheet
from portal.spreadsheets import safe_cell
from portal.spreadsheets import unguard_cell
from portal.spreadsheets import xlsx_bytes
from surveys import release
from surveys.answers import AnswerError
from surveys.answers import label_for
from surveys.answers import normalise_answer
from surveys.models import Answer
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey
from surveys.models import SurveyMode
from surveys.models import Wave

RESPONDENT_COLUMN = "respondent_id"
ORGANISATION_COLUMN = "organisation"
WAVE_COLUMN = "wave"
#: Longest respondent_id the schema keeps (``Response.external_id``).
MAX_RESPONDENT_ID = 64
#: Line ending of exported CSV, as in the instrument export (surveys.instrument).
CSV_LINE_END = "\n"
SHEET_TITLE = "Responses"


class ResponsesImportError(PortalError):
    """A responses CSV with problems, or a wave that cannot take an import."""

    status = 422


@dataclass
class ResponseRow:
    """One respondent's row of a responses CSV, as it would be saved."""

    #: The spreadsheet row (the header is row 1).
    row: int
    respondent_id: str = ""
    #: The organisation's name as the directory spells it (as typed when unknown).
    organisation: str = ""
    organisation_id: int | None = None
    #: Stored values of the non-blank cells, by item code.
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def answer_count(self) -> int:
        """How many items the row answers."""
        return len(self.answers)


@dataclass
class ResponsesCheck:
    """The checked contents of a responses CSV for one wave."""

    wave_id: int
    #: Item codes of the file's answer columns, in file order.
    codes: list[str] = field(default_factory=list)
    rows: list[ResponseRow] = field(default_factory=list)
    #: Every problem found, each naming its row and column where it has one.
    problems: list[str] = field(default_factory=list)
    item_ids: dict[str, int] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        """True when nothing stands in the way of the import."""
        return not self.problems

    def summary(self) -> str:
        """The first problem, and how many there are when more than one, on one line."""
        if not self.problems:
            return ""
        count = len(self.problems)
        return self.problems[0] + (f" ({count} problems)" if count > 1 else "")


def _count_responses(wave: Wave) -> int:
    return (
        db.session.scalar(
            select(func.count(Response.id)).where(Response.wave_id == wave.id)
        )
        or 0
    )


def _already_answered(wave: Wave) -> str | None:
    count = _count_responses(wave)
    if not count:
        return None
    noun = "response" if count == 1 else "responses"
    return (
        f"Wave {wave.number} already has {count} {noun}; "
        "importing again would double them"
    )


def _questionnaire(survey: Survey) -> list[Item]:
    return sorted(survey.items, key=lambda item: (item.position, item.id))


def check_responses_csv(wave: Wave, text: str) -> ResponsesCheck:
    """Check a responses CSV for ``wave`` without saving anything; report every problem."""
    check = ResponsesCheck(wave_id=wave.id)
    already = _already_answered(wave)
    if already:
        check.problems.append(already)
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    except csv.Error as error:
        check.problems.append(f"The file is not valid CSV: {error}")
        return check
    if not records or not any(cell.strip() for cell in records[0]):
        check.problems.append(
            "The first row must name the columns: respondent_id, organisation "
            "and the item codes"
        )
        return check

    items = {item.code: item for item in wave.survey.items}
    header = [unguard_cell(name.strip()) for name in records[0]]
    body = records[1:]
    # Column index -> what it holds: an item code, respondent_id or organisation.
    columns: dict[int, str] = {}
    seen: set[str] = set()
    for index, name in enumerate(header):
        where = f"Row 1, column {name or index + 1}"
        key = name.casefold()
        if not name:
            if any(index < len(r) and r[index].strip() for r in body):
                check.problems.append(f"{where}: the column has no name")
            continue
        if key in (RESPONDENT_COLUMN, ORGANISATION_COLUMN):
            name = key
        elif name not in items:
            if key == WAVE_COLUMN:
                check.problems.append(f"{where}: import one wave at a time")
            else:
                check.problems.append(
                    f"{where}: not an item code of survey {wave.survey.slug}"
                )
            continue
        if name in seen:
            check.problems.append(f"{where}: the column appears more than once")
            continue
        seen.add(name)
        columns[index] = name
    check.codes = [name for name in columns.values() if name in items]
    check.item_ids = {code: items[code].id for code in check.codes}
    if not check.codes and not check.problems:
        check.problems.append("Row 1: no column is an item code of the survey")

    organisations = {
        organisation.name.strip().casefold(): organisation
        for organisation in db.session.scalars(select(Organisation))
    }
    respondent_rows: dict[str, int] = {}
    for number, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue  # spreadsheets often leave empty rows at the end
        row = ResponseRow(row=number)
        check.rows.append(row)
        if any(cell.strip() for cell in record[len(header) :]):
            check.problems.append(
                f"Row {number}: has more cells than there are columns"
            )
        for index, name in columns.items():
            cell = unguard_cell(record[index].strip()) if index < len(record) else ""
            where = f"Row {number}, column {name}"
            if name == RESPONDENT_COLUMN:
                row.respondent_id = cell.strip()
                _check_respondent(row, respondent_rows, where, check.problems)
            elif name == ORGANISATION_COLUMN:
                row.organisation = cell.strip()
                found = organisations.get(row.organisation.casefold())
                if found is not None:
                    row.organisation, row.organisation_id = found.name, found.id
                elif row.organisation:
                    check.problems.append(
                        f"{where}: “{row.organisation}” is not a known organisation"
                    )
            else:
                try:
                    value = normalise_answer(items[name], cell)
                except AnswerError as error:
                    check.problems.append(f"{where}: {error}")
                    continue
                if value:
                    row.answers[name] = value
    if not check.rows and not check.problems:
        check.problems.append("The file has no rows of responses")
    return check


def _check_respondent(
    row: ResponseRow, seen: dict[str, int], where: str, problems: list[str]
) -> None:
    if not row.respondent_id:
        return
    if len(row.respondent_id) > MAX_RESPONDENT_ID:
        problems.append(f"{where}: must be {MAX_RESPONDENT_ID} characters or fewer")
    elif row.respondent_id in seen:
        problems.append(
            f"{where}: “{row.respondent_id}” is also on row {seen[row.respondent_id]}"
        )
    else:
        seen[row.respondent_id] = row.row


def _programme_partnerships(survey: Survey) -> dict[int, set[int]]:
    """Organisation id -> the partnerships of the survey's programme it takes part in."""
    found: dict[int, set[int]] = {}
    rows = db.session.execute(
        select(Participation.organisation_id, Participation.partnership_id)
        .join(Partnership, Partnership.id == Participation.partnership_id)
        .where(Partnership.programme_id == survey.programme_id)
    )
    for organisation_id, partnership_id in rows:
        found.setdefault(organisation_id, set()).add(partnership_id)
    return found


def import_responses(wave: Wave, check: ResponsesCheck) -> int:
    """Save one response per checked row, or nothing; flush, no commit. Returns the count.

    :raise ResponsesImportError: if the check has problems, is for another wave, or
        the wave has gained responses since it was made.
    """
    if check.wave_id != wave.id:
        raise ResponsesImportError("The file was checked for a different wave")
    if not check.is_valid:
        raise ResponsesImportError(check.summary())
    already = _already_answered(wave)
    if already:
        raise ResponsesImportError(already)
    survey = wave.survey
    by_organisation = (
        _programme_partnerships(survey) if survey.partnership_id is None else {}
    )
    for row in check.rows:
        partnership_id = survey.partnership_id
        if partnership_id is None and row.organisation_id is not None:
            candidates = by_organisation.get(row.organisation_id, set())
            partnership_id = next(iter(candidates)) if len(candidates) == 1 else None
        db.session.add(
            Response(
                wave_id=wave.id,
                organisation_id=row.organisation_id,
                partnership_id=partnership_id,
                submitted_on=wave.closes_on,
                external_id=row.respondent_id or None,
                import_row=row.row,
                answers=[
                    Answer(item_id=check.item_ids[code], value=value)
                    for code, value in row.answers.items()
                ],
            )
        )
    db.session.flush()
    return len(check.rows)


def export_rows(
    survey: Survey, waves: list[Wave], *, min_group: int = 5
) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a responses export (answers as labels), waves in order.

    Only allowlisted columns (T31): respondent_id of imported rows, organisation,
    answers, and the wave when several are exported; no date, so a row is dated
    only by its wave. In an anonymous survey an organisation with fewer than
    ``min_group`` responses in a wave is left blank, and a wave still open is
    refused (``release.refuse_rows``): a new row would be the person who just
    submitted.
    """
    if any(wave.survey_id != survey.id for wave in waves):
        raise ValueError("every wave must belong to the survey")
    ordered = sorted({wave.id: wave for wave in waves}.values(), key=lambda w: w.number)
    release.refuse_rows(ordered)
    items = _questionnaire(survey)
    with_wave = len(ordered) > 1
    header = [RESPONDENT_COLUMN, ORGANISATION_COLUMN, *(item.code for item in items)]
    if with_wave:
        header.insert(0, WAVE_COLUMN)
    responses = list(
        db.session.scalars(
            select(Response)
            .where(Response.wave_id.in_([wave.id for wave in ordered]))
            .options(
                selectinload(Response.answers), selectinload(Response.organisation)
            )
        )
    )
    group_sizes = Counter(
        (response.wave_id, response.organisation_id) for response in responses
    )
    anonymous = survey.mode is SurveyMode.ANONYMOUS
    rows: list[list[str]] = []
    for wave in ordered:
        in_wave = sorted(
            (response for response in responses if response.wave_id == wave.id),
            # Imported rows in file order, then web responses by their random key,
            # which reveals nothing about when they were given.
            key=lambda r: (r.import_row is None, r.import_row or 0, r.id),
        )
        for response in in_wave:
            organisation = response.organisation.name if response.organisation else ""
            if (
                anonymous
                and group_sizes[(wave.id, response.organisation_id)] < min_group
            ):
                organisation = ""
            values = {answer.item_id: answer.value for answer in response.answers}
            row = [
                response.external_id or "",
                organisation,
                *(
                    label_for(item, values[item.id]) if item.id in values else ""
                    for item in items
                ),
            ]
            if with_wave:
                row.insert(0, str(wave.number))
            rows.append(row)
    return header, rows


def export_csv(survey: Survey, waves: list[Wave]) -> str:
    """The responses of ``waves`` as CSV text, every cell guarded against formulas."""
    header, rows = export_rows(survey, waves)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def export_xlsx(survey: Survey, waves: list[Wave]) -> bytes:
    """The responses of ``waves`` as an XLSX workbook with one sheet, "Responses".

    Answers to number items are numbers; every other cell is text guarded against
    formulas, so no cell is ever a formula.
    """
    header, rows = export_rows(survey, waves)
    number_codes = {item.code for item in survey.items if item.type is ItemType.NUMBER}
    number_columns = {
        index for index, name in enumerate(header) if name in number_codes
    }
    cells = (
        [
            None if not value else _number(value) if index in number_columns else value
            for index, value in enumerate(row)
        ]
        for row in rows
    )
    return xlsx_bytes([Sheet(SHEET_TITLE, cells, header=header)])
