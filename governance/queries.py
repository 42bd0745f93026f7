"""Read-side questions about action plans: filtered lists, who has updated, history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from governance.meetings import BodyKind
from governance.meetings import Meeting
from governance.meetings import MeetingBody
from governance.meetings import MeetingStatus
from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import DeliveryGroup
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from governance.plans import CREATED
from portal.extensions import db
from portal.models import Organisation
from portal.models import Person

#: The orders a plan can be listed in (anything else falls back to "ref").
SORTS = (
    "ref",
    "due_date",
    "overdue",
    "status",
    "rag",
    "progress",
    "owner",
    "lead",
    "theme",
    "group",
)
_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.NONE: 3}
_STATUS_ORDER = {status: index for index, status in enumerate(ActionStatus)}


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts P2 before P10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    )


@dataclass(frozen=True)
class PlanFilter:
    """What to show of a plan; ``None`` means any."""

    theme_id: int | None = None
    group_id: int | None = None
    owner_id: int | None = None
    lead_organisation_id: int | None = None
    status: ActionStatus | None = None
    rag: Rag | None = None
    #: Only actions overdue on this day.
    overdue_on: date | None = None
    sort: str = "ref"
    #: The day "overdue" means for the "overdue" sort (overdue first, oldest first).
    today: date | None = None


def plan_actions(strategy: Strategy, plan_filter: PlanFilter) -> list[Action]:
    """The strategy's actions that pass the filter, in the filter's order."""
    query = (
        select(Action)
        .where(Action.strategy_id == strategy.id)
        .options(
            selectinload(Action.theme),
            selectinload(Action.delivery_group),
            selectinload(Action.owner),
            selectinload(Action.lead_organisation),
        )
    )
    if plan_filter.theme_id is not None:
        query = query.where(Action.theme_id == plan_filter.theme_id)
    if plan_filter.group_id is not None:
        query = query.where(Action.delivery_group_id == plan_filter.group_id)
    if plan_filter.owner_id is not None:
        query = query.where(Action.owner_id == plan_filter.owner_id)
    if plan_filter.lead_organisation_id is not None:
        query = query.where(
            Action.lead_organisation_id == plan_filter.lead_organisation_id
        )
    if plan_filter.status is not None:
        query = query.where(Action.status == plan_filter.status)
    if plan_filter.rag is not None:
        query = query.where(Action.rag == plan_filter.rag)
    if plan_filter.overdue_on is not None:
        query = query.where(
            Action.due_date < plan_filter.overdue_on,
            Action.status.not_in([ActionStatus.COMPLETED, ActionStatus.DISCONTINUED]),
        )
    actions = list(db.session.scalars(query))
    sort = plan_filter.sort if plan_filter.sort in SORTS else "ref"
    actions.sort(key=lambda action: natural_key(action.ref))
    if sort == "due_date":
        actions.sort(key=lambda action: action.due_date)
    elif sort == "status":
        actions.sort(key=lambda action: _STATUS_ORDER[action.status])
    elif sort == "rag":
        actions.sort(key=lambda action: _RAG_ORDER[action.rag])
    elif sort == "progress":
        actions.sort(key=lambda action: action.progress_pct)
    elif sort == "owner":
        actions.sort(key=lambda a: (a.owner is None, a.owner.name if a.owner else ""))
    elif sort == "lead":
        actions.sort(
            key=lambda a: (
                a.lead_organisation is None,
                a.lead_organisation.name if a.lead_organisation else "",
            )
        )
    elif sort == "theme":
        actions.sort(key=lambda action: (action.theme.position, action.theme.id))
    elif sort == "group":
        actions.sort(
            key=lambda a: (
                a.delivery_group is None,
                a.delivery_group.name.casefold() if a.delivery_group else "",
            )
        )
    elif sort == "overdue":
        day = plan_filter.today
        actions.sort(
            key=lambda a: (
                not (a.is_overdue(day) if day is not None else a.status.is_open),
                a.due_date,
            )
        )
    return actions


# Owners' updates ----------------------------------------------------------------


@dataclass
class OwnerUpdates:
    """An owner's open actions, split by whether they have been updated since a date."""

    person: Person
    updated: list[Action] = field(default_factory=list)
    pending: list[Action] = field(default_factory=list)

    @property
    def is_up_to_date(self) -> bool:
        """True when every open action of the owner has an update since the date."""
        return not self.pending


def pending_updates(strategy: Strategy, *, since: date) -> list[OwnerUpdates]:
    """For each owner of open actions: which have and have not been updated since ``since``.

    Owners with something pending come first, then by name. Actions without an
    owner are left out (they have no one to remind).
    """
    # .all(): dict() of a Result itself would take it for a mapping.
    last_update: dict[int, date] = dict(
        db.session.execute(
            select(ActionUpdate.action_id, func.max(ActionUpdate.written_on))
            .join(Action, Action.id == ActionUpdate.action_id)
            .where(Action.strategy_id == strategy.id)
            .group_by(ActionUpdate.action_id)
        ).all()
    )
    owners: dict[int, OwnerUpdates] = {}
    for action in sorted(strategy.actions, key=lambda a: natural_key(a.ref)):
        if action.owner is None or not action.status.is_open:
            continue
        entry = owners.setdefault(action.owner.id, OwnerUpdates(person=action.owner))
        written = last_update.get(action.id)
        if written is not None and written >= since:
            entry.updated.append(action)
        else:
            entry.pending.append(action)
    return sorted(
        owners.values(),
        key=lambda entry: (entry.is_up_to_date, entry.person.name.casefold()),
    )


# History ------------------------------------------------------------------------

FIELD_LABELS = {
    "ref": "Reference",
    "title": "Title",
    "description": "Description",
    "theme": "Theme",
    "delivery_group": "Delivery group",
    "lead_organisation": "Lead organisation",
    "owner": "Owner",
    "start_date": "Start date",
    "due_date": "Due date",
    "status": "Status",
    "rag": "RAG",
    "progress_pct": "Progress",
    "carried_forward_count": "Times carried forward",
    "completed_on": "Completed on",
    "origin": "Origin",
    CREATED: "Created",
}
#: The history's name for a progress update.
PROGRESS_UPDATE = "Progress update"
_MODELS: dict[str, type[Theme | DeliveryGroup | Organisation | Person]] = {
    "theme": Theme,
    "delivery_group": DeliveryGroup,
    "lead_organisation": Organisation,
    "owner": Person,
}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an action's history, as people read it."""

    changed_at: datetime
    effective_on: date
    who: str
    field: str
    old: str
    new: str
    note: str


def _label(field_name: str, value: str | None) -> str:
    if value is None or value == "":
        return "—"
    model = _MODELS.get(field_name)
    if model is not None:
        name = db.session.scalar(select(model.name).where(model.id == int(value)))
        return str(name) if name is not None else "(removed)"
    if field_name == "status":
        return ActionStatus(value).label
    if field_name == "rag":
        return Rag(value).label
    if field_name in ("start_date", "due_date", "completed_on"):
        day = date.fromisoformat(value)
        return f"{day.day} {day:%B %Y}"
    if field_name == "progress_pct":
        return f"{value}%"
    return value


def history(action: Action) -> list[HistoryEntry]:
    """Every change to the action and every progress update, newest first.

    A progress update is a line of its own ("Progress update", with its
    narrative), so an update that changed no field is in the history too; the
    fields it changed follow it, recorded at the same moment.
    """
    events = db.session.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id == action.id)
        .options(selectinload(ActionEvent.user), selectinload(ActionEvent.person))
    )
    ranked: list[tuple[tuple[datetime, int, int], HistoryEntry]] = []
    for event in events:
        if event.field == CREATED:
            start = json.loads(event.new_value or "{}")
            new = ", ".join(
                f"{FIELD_LABELS[name]}: {_label(name, start.get(name))}"
                for name in ("theme", "due_date", "status")
            )
            old = ""
        else:
            old = _label(event.field, event.old_value)
            new = _label(event.field, event.new_value)
        entry = HistoryEntry(
            changed_at=event.changed_at,
            effective_on=event.effective_on,
            who=event.author_name,
            field=FIELD_LABELS.get(event.field, event.field),
            old=old,
            new=new,
            note=event.note,
        )
        ranked.append(((event.changed_at, 1, event.id), entry))
    updates = db.session.scalars(
        select(ActionUpdate)
        .where(ActionUpdate.action_id == action.id)
        .options(selectinload(ActionUpdate.user), selectinload(ActionUpdate.person))
    )
    for update in updates:
        entry = HistoryEntry(
            changed_at=update.created_at,
            effective_on=update.written_on,
            who=update.author_name,
            field=PROGRESS_UPDATE,
            old="",
            new=update.narrative,
            note="",
        )
        ranked.append(((update.created_at, 0, update.id), entry))
    # Newest moment first; within one moment, the update and then its changes
    # in the order they were made.
    ranked.sort(key=lambda pair: pair[0][1:])
    ranked.sort(key=lambda pair: pair[0][0], reverse=True)
    return [entry for _, entry in ranked]


# Refreshes ----------------------------------------------------------------------


def _names(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    )


def structure_changes(strategy: Strategy) -> list[str]:
    """Each merge of themes or delivery groups, in words, oldest first.

    E.g. "20 April 2018: the themes “Prevention” and “Diversion” were merged into
    “Prevention/Early Intervention”."
    """
    merges: dict[tuple[date, str, str], list[str]] = {}
    retired: list[Theme | DeliveryGroup] = [
        *(theme for theme in strategy.themes if not theme.is_active),
        *(group for group in strategy.groups if not group.is_active),
    ]
    for item in retired:
        assert item.retired_on is not None  # noqa: S101 - not active means retired
        what = "themes" if isinstance(item, Theme) else "delivery groups"
        into = item.merged_into.name if item.merged_into else "another"
        merges.setdefault((item.retired_on, what, into), []).append(item.name)
    texts = []
    for (day, what, into), names in sorted(
        merges.items(), key=lambda entry: (entry[0][0], entry[0][1] != "themes")
    ):
        noun = what if len(names) > 1 else what[:-1]
        verb = "were" if len(names) > 1 else "was"
        texts.append(
            f"{day.day} {day:%B %Y}: the {noun} {_names(names)} {verb} merged "
            f"into “{into}”."
        )
    return texts


def merged_later(strategy: Strategy, as_of: date) -> dict[str, dict[str, str]]:
    """Themes and groups that existed on ``as_of`` but were merged after it.

    ``{"theme": {name: note}, "group": {name: note}}``, the note for reports of
    that date, e.g. "Merged into “Prevention/Early Intervention” on 20 April 2018".
    """
    notes: dict[str, dict[str, str]] = {"theme": {}, "group": {}}
    for key, items in (("theme", strategy.themes), ("group", strategy.groups)):
        for item in items:
            if item.retired_on is not None and item.retired_on > as_of:
                into = item.merged_into.name if item.merged_into else "another"
                day = item.retired_on
                notes[key][item.name] = f"Merged into “{into}” on {day.day} {day:%B %Y}"
    return notes


# Board meetings --------------------------------------------------------------------


@dataclass(frozen=True)
class BoardMeetings:
    """The partnership's board meetings either side of a day, for owners' updates."""

    last: Meeting | None
    next: Meeting | None

    @property
    def since(self) -> date | None:
        """The day after the last board meeting: updates from then on are new to the board."""
        return self.last.held_on + timedelta(days=1) if self.last else None


def board_meetings(strategy: Strategy, today: date) -> BoardMeetings:
    """The strategy's partnership's last board meeting before ``today`` and next one.

    Cancelled meetings do not count; the next is a scheduled meeting on or after
    ``today``.
    """
    board = (
        select(Meeting)
        .join(MeetingBody, MeetingBody.id == Meeting.body_id)
        .where(
            Meeting.partnership_id == strategy.partnership_id,
            MeetingBody.kind == BodyKind.BOARD,
        )
    )
    last = db.session.scalar(
        board.where(
            Meeting.held_on < today, Meeting.status != MeetingStatus.CANCELLED
        ).order_by(Meeting.held_on.desc(), Meeting.id.desc())
    )
    upcoming = db.session.scalar(
        board.where(
            Meeting.held_on >= today, Meeting.status == MeetingStatus.SCHEDULED
        ).order_by(Meeting.held_on, Meeting.id)
    )
    return BoardMeetings(last=last, next=upcoming)
