"""The survey report: counts from the database, statistics from ``surveys.analysis``.

The database does the counting (one ``GROUP BY`` over the answers and one over
the responses, for the blanks), so a report reads aggregate rows in proportion to
its items, waves and groups, whatever the number of stored answers. Everything after that is pure analysis.
Nothing here writes to the database. Only responses ``surveys.release.visible``
allows are counted: an open anonymous wave's results move only in batches.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeAlias

from sqlalchemy import Select
from sqlalchemy import SQLColumnExpression
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from portal.errors import PortalError
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Scope
from portal.models import Sector
from portal.spreadsheets import safe_cell
from surveys import release
from surveys.analysis import ALL
from surveys.analysis import COUNT_COLUMNS
from surveys.analysis import REPORT_COLUMNS
from surveys.analysis import ReportRow
from surveys.analysis import analyse
from surveys.analysis import display_value
from surveys.analysis import report_table
from surveys.models import Answer
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey
from surveys.models import Wave
from surveys.services import wording_changes

# pandas is imported where a frame is made: building the app must not pay for it.
if TYPE_CHECKING:
    import pandas as pd

#: Breakdowns a report can have; ``surveys report --by`` offers the first three.
BREAKDOWNS = ("partnership", "sector", "role", "scope")
#: The group of responses whose partnership, organisation or role is not recorded.
NOT_KNOWN = "Not known"
ROLE_GROUPS = {
    PartnerRole.LEAD: "Lead organisation",
    PartnerRole.PARTNER: "Partner organisation",
    PartnerRole.DELIVERY_PARTNER: "Partner organisation",
}
SCOPE_GROUPS = {Scope.NATIONAL: "National", Scope.LOCAL: "Local"}
CSV_LINE_END = "\n"

_Statement: TypeAlias = Select[*tuple[Any, ...]]


class ReportError(PortalError):
    """A report that cannot be made as asked; the message says why."""

    status = 404


def likert_items(survey: Survey) -> list[Item]:
    """The survey's likert items in questionnaire order: the ones a report covers."""
    return [item for item in survey.items if item.type is ItemType.LIKERT]


def select_waves(survey: Survey, numbers: Sequence[int] | None = None) -> list[Wave]:
    """The survey's waves with these numbers (default: all), in ascending order.

    :raise ReportError: for a wave number the survey does not have, or no waves.
    """
    by_number = {wave.number: wave for wave in survey.waves}
    if not by_number:
        raise ReportError(f"survey {survey.slug!r} has no waves")
    if numbers is None:
        return [by_number[number] for number in sorted(by_number)]
    missing = [number for number in numbers if number not in by_number]
    if missing:
        raise ReportError(f"survey {survey.slug!r} has no wave {missing[0]}")
    if not numbers:
        raise ReportError("choose at least one wave")
    return [by_number[number] for number in sorted(set(numbers))]


def response_count(waves: Sequence[Wave]) -> int:
    """How many responses the waves hold between them that results may count."""
    if not waves:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.wave_id.in_([wave.id for wave in waves]))
            .where(release.visible(waves))
        )
        or 0
    )


def _check_breakdown(by: str | None) -> None:
    if by is not None and by not in BREAKDOWNS:
        raise ReportError(
            f"cannot break a report down by {by!r}: use one of {', '.join(BREAKDOWNS)}"
        )


def _partnership_of(survey: Survey) -> SQLColumnExpression[Any]:
    """A response's partnership; a partnership survey's own when not recorded."""
    if survey.partnership_id is None:
        return Response.partnership_id
    return func.coalesce(Response.partnership_id, literal(survey.partnership_id))


def _grouped(
    statement: _Statement, survey: Survey, by: str | None
) -> tuple[_Statement, SQLColumnExpression[Any] | None]:
    """The column the database groups responses by for a breakdown (and its join).

    Where it can, the database groups by the response's own partnership (or, for
    roles in a partnership survey, its organisation: one partnership's few dozen)
    and ``_group_names`` names the keys from the small directory tables; joining
    a directory table to every answer cost the count half as much again. Sector
    joins the organisation, so a programme of hundreds of organisations still
    gives a handful of groups; so does role in a programme-wide survey, because
    an organisation's role depends on the partnership it answered for.
    """
    if by is None:
        return statement, None
    if by in ("partnership", "scope"):
        return statement, _partnership_of(survey)
    if by == "sector":
        statement = statement.outerjoin(
            Organisation, Organisation.id == Response.organisation_id
        )
        return statement, Organisation.sector
    if survey.partnership_id is not None:
        return statement, Response.organisation_id
    statement = statement.outerjoin(
        Participation,
        and_(
            Participation.organisation_id == Response.organisation_id,
            Participation.partnership_id == Response.partnership_id,
        ),
    )
    return statement, Participation.role


def _group_names(survey: Survey, by: str | None, keys: set[Any]) -> dict[Any, str]:
    """What each group key of ``_grouped`` is called in the report."""
    if by is None:
        return dict.fromkeys(keys, ALL)
    known = [key for key in keys if key is not None]
    named: dict[Any, str]
    if by == "partnership":
        found = db.session.execute(
            select(Partnership.id, Partnership.name, Partnership.slug).where(
                Partnership.id.in_(known)
            )
        ).all()
        taken = [name for _, name, _ in found]
        # Two partnerships may share a name; their slugs tell them apart.
        named = {
            partnership_id: f"{name} ({slug})" if taken.count(name) > 1 else name
            for partnership_id, name, slug in found
        }
    elif by == "scope":
        named = {
            partnership_id: SCOPE_GROUPS[Scope(scope)]
            for partnership_id, scope in db.session.execute(
                select(Partnership.id, Partnership.scope).where(
                    Partnership.id.in_(known)
                )
            )
        }
    elif by == "sector":
        named = {sector: Sector(sector).label for sector in known}
    elif survey.partnership_id is not None:
        named = {
            organisation_id: ROLE_GROUPS[PartnerRole(role)]
            for organisation_id, role in db.session.execute(
                select(Participation.organisation_id, Participation.role).where(
                    Participation.partnership_id == survey.partnership_id,
                    Participation.organisation_id.in_(known),
                )
            )
        }
    else:
        named = {role: ROLE_GROUPS[PartnerRole(role)] for role in known}
    return {key: named.get(key, NOT_KNOWN) for key in keys}


def _empty_counts() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "item_code": pd.Series([], dtype="str"),
            "wave": pd.Series([], dtype="int64"),
            "group": pd.Series([], dtype="str"),
            "answer": pd.Series([], dtype="str"),
            "n": pd.Series([], dtype="int64"),
        }
    )


def count_frame(
    survey: Survey, waves: Sequence[Wave], by: str | None = None
) -> pd.DataFrame:
    """Answer counts per likert item, wave, group and answer, counted by the database.

    Columns are ``surveys.analysis.COUNT_COLUMNS``; ``group`` is ``all`` without a
    breakdown. Blanks (``answer`` = ``""``) are the wave's responses in the group
    that stored no answer to the item.
    """
    import pandas as pd

    _check_breakdown(by)
    items = likert_items(survey)
    if not items or not waves:
        return _empty_counts()
    code_of = {item.id: item.code for item in items}
    number_of = {wave.id: wave.number for wave in waves}
    wave_ids = list(number_of)
    counted = release.visible(waves)
    answers, group = _grouped(
        select(Answer.item_id, Response.wave_id)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id),
        survey,
        by,
    )
    grouping = [] if group is None else [group]
    answer_rows = db.session.execute(
        answers.add_columns(
            group if group is not None else literal(None), Answer.value, func.count()
        )
        .where(Response.wave_id.in_(wave_ids), Answer.item_id.in_(code_of), counted)
        .group_by(Answer.item_id, Response.wave_id, *grouping, Answer.value)
    ).all()
    responses, group = _grouped(
        select(Response.wave_id).select_from(Response), survey, by
    )
    grouping = [] if group is None else [group]
    response_rows = db.session.execute(
        responses.add_columns(
            group if group is not None else literal(None), func.count()
        )
        .where(Response.wave_id.in_(wave_ids), counted)
        .group_by(Response.wave_id, *grouping)
    ).all()

    names = _group_names(
        survey,
        by,
        {row[2] for row in answer_rows} | {row[1] for row in response_rows},
    )
    # Several keys share a group (every organisation of a sector), so counts are
    # summed per group name.
    counts: dict[tuple[str, int, str, str], int] = {}
    answered: dict[tuple[int, int, str], int] = {}
    for item_id, wave_id, key, value, n in answer_rows:
        group_name = names[key]
        cell = (code_of[item_id], number_of[wave_id], group_name, value)
        counts[cell] = counts.get(cell, 0) + n
        tally = (item_id, wave_id, group_name)
        answered[tally] = answered.get(tally, 0) + n
    responded: dict[tuple[int, str], int] = {}
    for wave_id, key, n in response_rows:
        responded[wave_id, names[key]] = responded.get((wave_id, names[key]), 0) + n
    for (wave_id, group_name), n in responded.items():
        for item_id, code in code_of.items():
            blank = n - answered.get((item_id, wave_id, group_name), 0)
            if blank > 0:
                cell = (code, number_of[wave_id], group_name, "")
                counts[cell] = counts.get(cell, 0) + blank
    if not counts:
        return _empty_counts()
    return pd.DataFrame(
        [(*cell, n) for cell, n in counts.items()], columns=list(COUNT_COLUMNS)
    )


def _ordered_groups(counts: pd.DataFrame) -> list[str]:
    names = sorted({str(name) for name in counts["group"]})
    return [name for name in names if name != NOT_KNOWN] + (
        [NOT_KNOWN] if NOT_KNOWN in names else []
    )


def report_rows(
    survey: Survey,
    waves: Sequence[int] | None = None,
    by: str | None = None,
    min_base: int = 5,
) -> list[ReportRow]:
    """The report (DESIGN.md "Report CSV"): one row per likert item x group x wave.

    ``waves`` are wave numbers (default: every wave); each is compared with the
    previous one given. ``by`` is None or one of ``BREAKDOWNS``.

    :raise ReportError: for an unknown wave or breakdown.
    """
    _check_breakdown(by)
    chosen = select_waves(survey, waves)
    items = likert_items(survey)
    counts = count_frame(survey, chosen, by)
    result = analyse(
        counts,
        items=[item.code for item in items],
        waves=[wave.number for wave in chosen],
        groups=[ALL] if by is None else _ordered_groups(counts),
        min_base=min_base,
    )
    return report_table(
        result,
        item_texts={item.code: item.text for item in items},
        breakdown=by or ALL,
    )


def rows_csv(rows: Sequence[ReportRow]) -> str:
    """Report rows as CSV text, every cell guarded against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(
        [safe_cell(display_value(column, row[column])) for column in REPORT_COLUMNS]
        for row in rows
    )
    return buffer.getvalue()


def rows_json(rows: Sequence[ReportRow]) -> str:
    """Report rows as a JSON array of objects; blanks are null."""
    return (
        json.dumps(
            [{column: row[column] for column in REPORT_COLUMNS} for row in rows],
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def report_csv(
    survey: Survey,
    waves: Sequence[int] | None = None,
    by: str | None = None,
    min_base: int = 5,
) -> str:
    """The report as CSV text (see ``report_rows``)."""
    return rows_csv(report_rows(survey, waves, by, min_base))


def report_json(
    survey: Survey,
    waves: Sequence[int] | None = None,
    by: str | None = None,
    min_base: int = 5,
) -> str:
    """The report as JSON text (see ``report_rows``)."""
    return rows_json(report_rows(survey, waves, by, min_base))


def wording_warnings(survey: Survey, waves: Sequence[Wave]) -> dict[str, str]:
    """Item code -> how its wording or scale changed between the waves compared."""
    numbers = sorted(wave.number for wave in waves)
    if len(numbers) < 2:
        return {}
    warnings: dict[str, str] = {}
    for item in likert_items(survey):
        changes = wording_changes(item, numbers[0], numbers[-1])
        notes: list[str] = []
        for revision in changes:
            index = item.revisions.index(revision)
            later = item.revisions[index + 1 :]
            next_text = later[0].text if later else item.text
            next_scale = later[0].scale if later else item.scale
            if revision.text != next_text:
                notes.append(
                    f"wording changed after wave {revision.last_wave} "
                    f"(was “{revision.text}”)"
                )
            if revision.scale != next_scale:
                notes.append(
                    f"scale changed after wave {revision.last_wave} "
                    f"from {revision.scale} to {next_scale}"
                )
        if notes:
            warnings[item.code] = "; ".join(notes)
    return warnings
