"""Read-side questions about action plans: filtered lists, who has updated, history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import selectinload

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
SORTS = ("ref", "due_date", "status", "rag", "progress", "owner", "lead", "theme")
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
    """Every change to the action and every progress update's author, newest first."""
    events = db.session.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id == action.id)
        .options(selectinload(ActionEvent.user), selectinload(ActionEvent.person))
        .order_by(ActionEvent.changed_at.desc(), ActionEvent.id.desc())
    )
    entries = []
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
        entries.append(
            HistoryEntry(
                changed_at=event.changed_at,
                effective_on=event.effective_on,
                who=event.author_name,
                field=FIELD_LABELS.get(event.field, event.field),
                old=old,
                new=new,
                note=event.note,
            )
        )
    return entries
