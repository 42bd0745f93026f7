"""Completion rates, now or as at any past date, rebuilt from the action history.

completion rate = completed / scheduled, where scheduled = the actions due on or
before the as-of date, discontinued ones excluded. Overdue = scheduled actions
due before the as-of date that are neither completed nor discontinued.

For a past date each action's status, due date, theme, delivery group and lead
organisation are those in force at the end of that day, read from its
``ActionEvent`` history (the "created" snapshot, then every change that took
effect on or before the day). An action's starting state stands for every date
before its first change: an imported plan has no earlier history, and its
imported state is the best record of the past there is.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select

from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import DeliveryGroup
from governance.models import Strategy
from governance.models import Theme
from governance.plans import CREATED
from portal.extensions import db
from portal.models import Organisation
from portal.spreadsheets import safe_cell

COMPLETION_COLUMNS = (
    "group",
    "scheduled",
    "completed",
    "in_progress",
    "not_started",
    "carried_forward",
    "overdue",
    "completion_pct",
)
ALL = "all"
NO_GROUP = "No delivery group"
NO_LEAD = "No lead organisation"
#: Fields an as-of report needs from the history.
_STATE_FIELDS = ("theme", "delivery_group", "lead_organisation", "due_date", "status")


class Breakdown(StrEnum):
    """What the rows after "all" are broken down by."""

    THEME = "theme"
    GROUP = "group"
    LEAD = "lead"


@dataclass(frozen=True)
class ActionState:
    """What a report needs to know of one action at one date."""

    action_id: int
    theme_id: int
    delivery_group_id: int | None
    lead_organisation_id: int | None
    due_date: date
    status: ActionStatus


@dataclass(frozen=True)
class CompletionRow:
    """One line of a completion report."""

    group: str
    scheduled: int
    completed: int
    in_progress: int
    not_started: int
    carried_forward: int
    overdue: int

    @property
    def completion_pct(self) -> Decimal | None:
        """completed / scheduled x 100, to one decimal place (half up); None if nothing is due."""
        if not self.scheduled:
            return None
        return (Decimal(self.completed * 100) / Decimal(self.scheduled)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    def as_dict(self) -> dict[str, str | int | float | None]:
        """The row with the CSV's keys; the percentage as a number or None."""
        pct = self.completion_pct
        return {
            "group": self.group,
            "scheduled": self.scheduled,
            "completed": self.completed,
            "in_progress": self.in_progress,
            "not_started": self.not_started,
            "carried_forward": self.carried_forward,
            "overdue": self.overdue,
            "completion_pct": float(pct) if pct is not None else None,
        }


# States -------------------------------------------------------------------------


def _decode(field: str, value: str | None) -> object:
    if value is None or value == "":
        return None
    if field == "due_date":
        return date.fromisoformat(value)
    if field == "status":
        return ActionStatus(value)
    return int(value)


class _Timeline:
    """One action's starting state and its changes in the order they took effect."""

    def __init__(self, action: Action, events: list[ActionEvent]) -> None:
        self.action_id = action.id
        created = next((e for e in events if e.field == CREATED), None)
        changes = [e for e in events if e.field in _STATE_FIELDS]
        self.start: dict[str, object] = {}
        if created is not None and created.new_value:
            snapshot = json.loads(created.new_value)
            for field in _STATE_FIELDS:
                self.start[field] = _decode(field, snapshot.get(field))
        else:
            # No snapshot: each field started as its first change found it.
            current = _current(action)
            for field in _STATE_FIELDS:
                first = min(
                    (e for e in changes if e.field == field),
                    key=lambda e: e.id,
                    default=None,
                )
                self.start[field] = (
                    _decode(field, first.old_value)
                    if first is not None
                    else current[field]
                )
        self.changes = sorted(changes, key=lambda e: (e.effective_on, e.id))

    def at(self, day: date) -> ActionState:
        """The action's state at the end of ``day``."""
        values = dict(self.start)
        for change in self.changes:
            if change.effective_on > day:
                break
            values[change.field] = _decode(change.field, change.new_value)
        return _state(self.action_id, values)


def _current(action: Action) -> dict[str, object]:
    return {
        "theme": action.theme_id,
        "delivery_group": action.delivery_group_id,
        "lead_organisation": action.lead_organisation_id,
        "due_date": action.due_date,
        "status": action.status,
    }


def _state(action_id: int, values: dict[str, object]) -> ActionState:
    theme_id = values["theme"]
    due_date = values["due_date"]
    status = values["status"]
    group_id = values["delivery_group"]
    lead_id = values["lead_organisation"]
    assert isinstance(theme_id, int)  # noqa: S101 - the schema guarantees these
    assert isinstance(due_date, date)  # noqa: S101
    assert isinstance(status, ActionStatus)  # noqa: S101
    return ActionState(
        action_id=action_id,
        theme_id=theme_id,
        delivery_group_id=group_id if isinstance(group_id, int) else None,
        lead_organisation_id=lead_id if isinstance(lead_id, int) else None,
        due_date=due_date,
        status=status,
    )


def _timelines(strategy: Strategy) -> list[_Timeline]:
    actions = list(
        db.session.scalars(
            select(Action).where(Action.strategy_id == strategy.id).order_by(Action.id)
        )
    )
    by_action: dict[int, list[ActionEvent]] = defaultdict(list)
    events = db.session.scalars(
        select(ActionEvent)
        .join(Action, Action.id == ActionEvent.action_id)
        .where(Action.strategy_id == strategy.id)
        .where(ActionEvent.field.in_([CREATED, *_STATE_FIELDS]))
        .order_by(ActionEvent.id)
    )
    for event in events:
        by_action[event.action_id].append(event)
    return [_Timeline(action, by_action[action.id]) for action in actions]


def current_states(strategy: Strategy) -> list[ActionState]:
    """Every action of the strategy as it stands now."""
    return [
        _state(action.id, _current(action))
        for action in db.session.scalars(
            select(Action).where(Action.strategy_id == strategy.id).order_by(Action.id)
        )
    ]


def states_as_of(strategy: Strategy, as_of: date) -> list[ActionState]:
    """Every action of the strategy as it stood at the end of ``as_of``."""
    return [timeline.at(as_of) for timeline in _timelines(strategy)]


# Counting ----------------------------------------------------------------------


def count(group: str, states: Sequence[ActionState], as_of: date) -> CompletionRow:
    """The completion row for ``states`` (already as at ``as_of``)."""
    scheduled = [
        s
        for s in states
        if s.due_date <= as_of and s.status is not ActionStatus.DISCONTINUED
    ]

    def with_status(status: ActionStatus) -> int:
        return sum(1 for s in scheduled if s.status is status)

    return CompletionRow(
        group=group,
        scheduled=len(scheduled),
        completed=with_status(ActionStatus.COMPLETED),
        in_progress=with_status(ActionStatus.IN_PROGRESS),
        not_started=with_status(ActionStatus.NOT_STARTED),
        carried_forward=with_status(ActionStatus.CARRIED_FORWARD),
        overdue=sum(1 for s in scheduled if s.due_date < as_of and s.status.is_open),
    )


def _breakdown_groups(
    strategy: Strategy, by: Breakdown, states: Sequence[ActionState]
) -> tuple[Callable[[ActionState], int | None], list[tuple[int | None, str]]]:
    """How to key a state, and every key in report order with its name."""
    if by is Breakdown.THEME:
        themes = db.session.scalars(
            select(Theme)
            .where(Theme.strategy_id == strategy.id)
            .order_by(Theme.position, Theme.id)
        )
        return (lambda s: s.theme_id), [(t.id, t.name) for t in themes]
    if by is Breakdown.GROUP:
        groups = db.session.scalars(
            select(DeliveryGroup)
            .where(DeliveryGroup.strategy_id == strategy.id)
            .order_by(DeliveryGroup.name, DeliveryGroup.id)
        )
        return (lambda s: s.delivery_group_id), [
            *((g.id, g.name) for g in groups),
            (None, NO_GROUP),
        ]
    lead_ids = {s.lead_organisation_id for s in states} - {None}
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(lead_ids))
        .order_by(Organisation.name)
    )
    return (lambda s: s.lead_organisation_id), [
        *((i, name) for i, name in organisations),
        (None, NO_LEAD),
    ]


def rows_for(
    strategy: Strategy,
    states: Sequence[ActionState],
    as_of: date,
    by: Breakdown | None = None,
) -> list[CompletionRow]:
    """The "all" row, then one row per theme, group or lead organisation with anything due."""
    rows = [count(ALL, states, as_of)]
    if by is None:
        return rows
    key, groups = _breakdown_groups(strategy, by, states)
    by_key: dict[int | None, list[ActionState]] = defaultdict(list)
    for state in states:
        by_key[key(state)].append(state)
    for group_id, name in groups:
        row = count(name, by_key.get(group_id, []), as_of)
        if row.scheduled:
            rows.append(row)
    return rows


def completion(
    strategy: Strategy, *, as_of: date, by: Breakdown | None = None
) -> list[CompletionRow]:
    """The completion report as at the end of ``as_of``: "all" first, then by ``by``."""
    return rows_for(strategy, states_as_of(strategy, as_of), as_of, by)


def completion_trend(
    strategy: Strategy, period_ends: Sequence[date]
) -> list[tuple[date, CompletionRow]]:
    """The "all" row at each period end, from the history, in the order given."""
    timelines = _timelines(strategy)
    return [
        (day, count(ALL, [timeline.at(day) for timeline in timelines], day))
        for day in period_ends
    ]


def quarter_ends(first: date, last: date) -> list[date]:
    """The ends of the calendar quarters (31 March, 30 June, ...) from ``first`` to ``last``."""
    ends: list[date] = []
    year = first.year
    while True:
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            end = date(year, month, day)
            if end > last:
                return ends
            if end >= first:
                ends.append(end)
        year += 1


# Output -------------------------------------------------------------------------


def completion_csv(rows: Sequence[CompletionRow]) -> str:
    """The rows as the completion CSV of DESIGN.md."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COMPLETION_COLUMNS)
    for row in rows:
        pct = row.completion_pct
        writer.writerow(
            [
                safe_cell(row.group),
                row.scheduled,
                row.completed,
                row.in_progress,
                row.not_started,
                row.carried_forward,
                row.overdue,
                f"{pct:.1f}" if pct is not None else "",
            ]
        )
    return buffer.getvalue()


def completion_json(rows: Sequence[CompletionRow]) -> str:
    """The rows as a JSON list of objects with the CSV's keys."""
    return json.dumps([row.as_dict() for row in rows], indent=2) + "\n"
