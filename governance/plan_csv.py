"""The action-plan CSV of DESIGN.md, in and out.

Columns: ``ref,title,theme,delivery_group,lead_organisation,owner_email,
start_date,due_date,status,rag,progress_pct,last_update``. ``last_update`` is
the narrative of the action's latest progress update.

The import is all-or-nothing: ``check_plan_csv`` reads the whole file and
reports every problem with its row and column, and ``import_plan`` saves only a
check without problems. Themes and delivery groups are matched by name
(ignoring case) or created in the order the file first names them; lead
organisations must take part in the partnership, and owners must be in its
directory. A file written by ``export_plan_csv`` imports and exports back byte
for byte: UTF-8, ``\\n`` line endings, cells quoted only when they must be, and
cells a spreadsheet would run as a formula guarded with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select

from governance import plans
from governance.models import Action
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import DeliveryGroup
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from portal.extensions import db
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from portal.models import utcnow
from portal.spreadsheets import safe_cell
from portal.spreadsheets import unguard_cell

PLAN_COLUMNS = (
    "ref",
    "title",
    "theme",
    "delivery_group",
    "lead_organisation",
    "owner_email",
    "start_date",
    "due_date",
    "status",
    "rag",
    "progress_pct",
    "last_update",
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATUS_WORDS = ", ".join(status.value for status in ActionStatus)


@dataclass
class PlanRow:
    """One action of a plan CSV, as it would be saved."""

    #: The spreadsheet row (the header is row 1).
    row: int
    ref: str = ""
    title: str = ""
    theme: str = ""
    delivery_group: str = ""
    lead_organisation: Organisation | None = None
    owner: Person | None = None
    start_date: date | None = None
    due_date: date | None = None
    status: ActionStatus | None = None
    rag: Rag = Rag.NONE
    progress_pct: int = 0
    last_update: str = ""


@dataclass
class PlanCheck:
    """The checked contents of a plan CSV for one partnership (and maybe a strategy)."""

    partnership_id: int
    strategy_id: int | None = None
    rows: list[PlanRow] = field(default_factory=list)
    #: Every problem found, each naming its row and column where it has one.
    problems: list[str] = field(default_factory=list)

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

    def period(self) -> tuple[date, date]:
        """The earliest start (or due) date and the latest due date of the rows."""
        starts = [row.start_date or row.due_date for row in self.rows if row.due_date]
        dues = [row.due_date for row in self.rows if row.due_date]
        if not dues:
            raise ValueError("no rows")
        return min(d for d in starts if d), max(dues)


def _normalise_word(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()


def parse_status(text: str) -> ActionStatus | None:
    """The status a cell names, ignoring case, spaces, hyphens and underscores."""
    word = _normalise_word(text)
    return next((status for status in ActionStatus if status.value == word), None)


def parse_rag(text: str) -> Rag | None:
    """The RAG rating a cell names; blank means not rated."""
    word = _normalise_word(text)
    if word in ("", Rag.NONE.value):
        return Rag.NONE
    return next((rag for rag in Rag if rag.value == word), None)


def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None for anything else."""
    if not ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _partnership_organisations(partnership: Partnership) -> dict[str, Organisation]:
    return {
        organisation.name.strip().casefold(): organisation
        for organisation in db.session.scalars(
            select(Organisation)
            .join(Participation, Participation.organisation_id == Organisation.id)
            .where(Participation.partnership_id == partnership.id)
        )
    }


def check_plan_csv(
    text: str, *, partnership: Partnership, strategy: Strategy | None = None
) -> PlanCheck:
    """Check a plan CSV without saving anything; report every problem with row and column.

    With ``strategy``, references must be new to it and theme and group names are
    matched against its current structure.
    """
    check = PlanCheck(
        partnership_id=partnership.id,
        strategy_id=strategy.id if strategy is not None else None,
    )
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    except csv.Error as error:
        check.problems.append(f"The file is not valid CSV: {error}")
        return check
    header = [unguard_cell(name.strip()) for name in records[0]] if records else []
    if tuple(header) != PLAN_COLUMNS:
        check.problems.append(
            "Row 1: the columns must be "
            + ",".join(PLAN_COLUMNS)
            + f" (found: {','.join(header) or 'nothing'})"
        )
        return check

    organisations = _partnership_organisations(partnership)
    taken_refs: set[str] = set()
    retired: dict[str, str] = {}
    if strategy is not None:
        taken_refs = {action.ref.casefold() for action in strategy.actions}
        structure: list[Theme | DeliveryGroup] = [*strategy.themes, *strategy.groups]
        for item in structure:
            if not item.is_active and item.merged_into is not None:
                retired[item.name.casefold()] = item.merged_into.name
    seen_refs: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # spreadsheets often leave empty rows at the end
        row = PlanRow(row=number)
        check.rows.append(row)
        if any(cell.strip() for cell in record[len(PLAN_COLUMNS) :]):
            check.problems.append(
                f"Row {number}: has more cells than there are columns"
            )
        cells = {
            name: unguard_cell(record[index].strip()) if index < len(record) else ""
            for index, name in enumerate(PLAN_COLUMNS)
        }
        problems = _check_row(
            row,
            cells,
            partnership=partnership,
            organisations=organisations,
            taken_refs=taken_refs,
            seen_refs=seen_refs,
            retired=retired,
        )
        check.problems.extend(
            f"Row {number}, column {column}: {problem}" for column, problem in problems
        )
    if not check.rows and not check.problems:
        check.problems.append("The file has no rows of actions")
    return check


def _check_row(
    row: PlanRow,
    cells: dict[str, str],
    *,
    partnership: Partnership,
    organisations: dict[str, Organisation],
    taken_refs: set[str],
    seen_refs: dict[str, int],
    retired: dict[str, str],
) -> list[tuple[str, str]]:
    """Fill ``row`` from ``cells``; return (column, problem) pairs."""
    problems: list[tuple[str, str]] = []
    row.ref = cells["ref"]
    if not row.ref:
        problems.append(("ref", "the reference is missing"))
    elif len(row.ref) > plans.MAX_REF:
        problems.append(("ref", f"must be {plans.MAX_REF} characters or fewer"))
    elif row.ref.casefold() in seen_refs:
        problems.append(
            ("ref", f"{row.ref} is also on row {seen_refs[row.ref.casefold()]}")
        )
    elif row.ref.casefold() in taken_refs:
        problems.append(("ref", f"the plan already has an action {row.ref}"))
    else:
        seen_refs[row.ref.casefold()] = row.row
    row.title = cells["title"]
    if not row.title:
        problems.append(("title", "the title is missing"))
    elif len(row.title) > plans.MAX_TITLE:
        problems.append(("title", f"must be {plans.MAX_TITLE} characters or fewer"))
    for column in ("theme", "delivery_group"):
        value = " ".join(cells[column].split())
        setattr(row, column, value)
        if len(value) > plans.MAX_NAME:
            problems.append((column, f"must be {plans.MAX_NAME} characters or fewer"))
        elif value.casefold() in retired:
            problems.append(
                (column, f"“{value}” was merged into “{retired[value.casefold()]}”")
            )
    if not row.theme:
        problems.append(("theme", "the theme is missing"))
    if cells["lead_organisation"]:
        row.lead_organisation = organisations.get(cells["lead_organisation"].casefold())
        if row.lead_organisation is None:
            problems.append(
                (
                    "lead_organisation",
                    f"“{cells['lead_organisation']}” is not an organisation of "
                    f"partnership {partnership.slug}",
                )
            )
    if cells["owner_email"]:
        person = db.session.scalar(
            select(Person).where(Person.email == cells["owner_email"].strip().lower())
        )
        if person is None or not plans.person_in_partnership(person, partnership):
            problems.append(
                (
                    "owner_email",
                    f"no one with the email address {cells['owner_email']} is in "
                    f"partnership {partnership.slug}",
                )
            )
        else:
            row.owner = person
    for column in ("start_date", "due_date"):
        if not cells[column]:
            continue
        parsed = parse_date(cells[column])
        if parsed is None:
            problems.append(
                (column, f"“{cells[column]}” is not a date written YYYY-MM-DD")
            )
        setattr(row, column, parsed)
    if not cells["due_date"]:
        problems.append(("due_date", "the due date is missing"))
    if row.start_date and row.due_date and row.due_date < row.start_date:
        problems.append(("due_date", "Due date must be on or after the start date"))
    row.status = parse_status(cells["status"])
    if row.status is None:
        problems.append(
            (
                "status",
                f"“{cells['status']}” is not a status: use one of {STATUS_WORDS}"
                if cells["status"]
                else f"the status is missing: use one of {STATUS_WORDS}",
            )
        )
    rag = parse_rag(cells["rag"])
    if rag is None:
        problems.append(("rag", f"“{cells['rag']}” is not red, amber, green or blank"))
    else:
        row.rag = rag
    progress = cells["progress_pct"].removesuffix("%").strip()
    if progress:
        if not re.fullmatch(r"-?\d+", progress):
            problems.append(
                ("progress_pct", f"“{cells['progress_pct']}” is not a whole number")
            )
        elif not 0 <= int(progress) <= 100:
            problems.append(("progress_pct", "Progress must be between 0 and 100"))
        else:
            row.progress_pct = int(progress)
    row.last_update = cells["last_update"]
    return problems


def _find_or_create_theme(strategy: Strategy, name: str) -> Theme:
    for theme in strategy.themes:
        if theme.is_active and theme.name.casefold() == name.casefold():
            return theme
    return plans.create_theme(strategy, name=name)


def _find_or_create_group(strategy: Strategy, name: str, theme: Theme) -> DeliveryGroup:
    for group in strategy.groups:
        if group.is_active and group.name.casefold() == name.casefold():
            return group
    return plans.create_group(strategy, name=name, theme=theme)


def import_plan(
    strategy: Strategy,
    check: PlanCheck,
    *,
    by: User | None = None,
    at: datetime | None = None,
) -> list[Action]:
    """Add one action per checked row to ``strategy``, or nothing; flush, no commit.

    A non-blank ``last_update`` becomes a progress update dated the day of import.

    :raise plans.PlanError: if the check has problems or was made for another
        partnership or strategy.
    """
    if check.partnership_id != strategy.partnership_id or check.strategy_id not in (
        None,
        strategy.id,
    ):
        raise plans.PlanError("The file was checked for a different plan")
    if not check.is_valid:
        raise plans.PlanError(check.summary())
    moment = at or utcnow()
    actions = []
    for row in check.rows:
        if row.due_date is None or row.status is None:
            raise plans.PlanError(f"Row {row.row}: the row was not checked")
        theme = _find_or_create_theme(strategy, row.theme)
        group = (
            _find_or_create_group(strategy, row.delivery_group, theme)
            if row.delivery_group
            else None
        )
        action = plans.create_action(
            strategy,
            ref=row.ref,
            title=row.title,
            theme=theme,
            delivery_group=group,
            lead_organisation=row.lead_organisation,
            owner=row.owner,
            start_date=row.start_date,
            due_date=row.due_date,
            status=row.status,
            rag=row.rag,
            progress_pct=row.progress_pct,
            # The file does not say how often; "carried forward" means at least once.
            carried_forward_count=int(row.status is ActionStatus.CARRIED_FORWARD),
            by=by,
            at=moment,
        )
        if row.last_update:
            db.session.add(
                ActionUpdate(
                    action=action,
                    written_on=plans.local_date(moment),
                    narrative=row.last_update,
                    status=action.status,
                    rag=action.rag,
                    progress_pct=action.progress_pct,
                    user=by,
                    person=by.person if by is not None else None,
                    created_at=moment,
                )
            )
        actions.append(action)
    db.session.flush()
    return actions


def _latest_updates(strategy: Strategy) -> dict[int, str]:
    """The narrative of each action's latest update, by action id."""
    latest = (
        select(ActionUpdate.action_id, func.max(ActionUpdate.id).label("update_id"))
        .join(Action, Action.id == ActionUpdate.action_id)
        .where(Action.strategy_id == strategy.id)
        .group_by(ActionUpdate.action_id)
        .subquery()
    )
    ordered = select(ActionUpdate).join(latest, latest.c.update_id == ActionUpdate.id)
    return {
        update.action_id: update.narrative for update in db.session.scalars(ordered)
    }


def export_rows(strategy: Strategy) -> list[list[str]]:
    """The plan's actions as rows of the plan CSV (header not included), in plan order."""
    narratives = _latest_updates(strategy)
    rows = []
    for action in strategy.actions:
        rows.append(
            [
                action.ref,
                action.title,
                action.theme.name,
                action.delivery_group.name if action.delivery_group else "",
                action.lead_organisation.name if action.lead_organisation else "",
                action.owner.email if action.owner else "",
                action.start_date.isoformat() if action.start_date else "",
                action.due_date.isoformat(),
                action.status.value,
                "" if action.rag is Rag.NONE else action.rag.value,
                str(action.progress_pct),
                narratives.get(action.id, ""),
            ]
        )
    return rows


def export_plan_csv(strategy: Strategy) -> str:
    """The plan as action-plan CSV text, every cell guarded against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PLAN_COLUMNS)
    writer.writerows([safe_cell(cell) for cell in row] for row in export_rows(strategy))
    return buffer.getvalue()
