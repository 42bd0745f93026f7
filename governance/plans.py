"""Action-plan changes. Services flush; the caller commits once.

Every change to an action goes through this module: it checks the version the
editor opened (``EditConflictError`` if someone saved since) and writes one
``ActionEvent`` per changed field, so the history and the as-of reports in
``governance.completion`` never miss a change.

Each change happens ``at`` a moment (default now) and takes effect ``on`` a
calendar day (default: that moment's date in the portal's time zone). Only a
completion date and a progress update's date may be earlier than the day they
are recorded, and never earlier than the action's last status change, so the
history always reads in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import DeliveryGroup
from governance.models import Direction
from governance.models import Indicator
from governance.models import IndicatorValue
from governance.models import Rag
from governance.models import Strategy
from governance.models import Theme
from governance.models import action_survey_item
from portal.errors import EditConflictError
from portal.errors import PortalError
from portal.extensions import Base
from portal.extensions import db
from portal.models import Membership
from portal.models import Organisation
from portal.models import Participation
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from portal.models import utcnow
from surveys.models import Item
from surveys.models import Survey

#: Who made a change: a signed-in account, an owner using an emailed link, or an import.
Actor = User | Person | None

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_REF = 32
MAX_TITLE = 300
MAX_NAME = 200

#: Fields whose changes are recorded, by ``Action`` attribute name.
TRACKED_FIELDS = (
    "ref",
    "title",
    "description",
    "theme",
    "delivery_group",
    "lead_organisation",
    "owner",
    "start_date",
    "due_date",
    "status",
    "rag",
    "progress_pct",
    "carried_forward_count",
    "completed_on",
    "origin",
)
#: The event that holds an action's starting state as JSON.
CREATED = "created"

CONFLICT_MESSAGE = (
    "Someone else changed this action after you opened it. Your changes were not "
    "saved: reload to see theirs, then make yours again."
)


class PlanError(PortalError):
    """A change the action plan's rules refuse; the message says why."""


# Helpers ----------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The calendar date of ``moment`` in the portal's time zone."""
    zone = ZoneInfo(str(current_app.config.get("TIMEZONE", "Europe/London")))
    return moment.astimezone(zone).date()


def encode(value: object) -> str | None:
    """A field value as the text an ``ActionEvent`` stores."""
    if value is None:
        return None
    if isinstance(value, Base):
        return str(value.id)  # type: ignore[attr-defined]
    if isinstance(value, ActionStatus | Rag):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _who(actor: Actor) -> dict[str, object]:
    if isinstance(actor, User):
        return {"user": actor, "person": actor.person}
    if isinstance(actor, Person):
        return {"person": actor}
    return {}


def _moment(at: datetime | None) -> datetime:
    moment = at or utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


def _flush() -> None:
    """Flush, turning a lost race on an action's version into a conflict message."""
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise EditConflictError(CONFLICT_MESSAGE) from error


def _check_version(action: Action, opened_version: int) -> None:
    if action.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE)


def day_text(day: date) -> str:
    """A date as people read it: 31 March 2018."""
    return f"{day.day} {day:%B %Y}"


def _check_text(value: str, what: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise PlanError(f"Enter the {what}")
    if len(cleaned) > limit:
        raise PlanError(f"The {what} must be {limit} characters or fewer")
    return cleaned


def check_dates(start_date: date | None, due_date: date) -> None:
    """Refuse a due date before the start date."""
    if start_date is not None and due_date < start_date:
        raise PlanError("Due date must be on or after the start date")


def check_progress(progress_pct: int) -> None:
    """Refuse a progress outside 0-100 per cent."""
    if not 0 <= progress_pct <= 100:
        raise PlanError("Progress must be between 0 and 100")


def organisation_in_partnership(
    organisation: Organisation, partnership: Partnership
) -> bool:
    """True if the organisation takes part in the partnership."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Participation.partnership_id == partnership.id,
                    Participation.organisation_id == organisation.id,
                )
            )
        )
    )


def person_in_partnership(person: Person, partnership: Partnership) -> bool:
    """True if the person is a member of the partnership or works for one of its organisations."""
    member = db.session.scalar(
        select(
            exists().where(
                Membership.partnership_id == partnership.id,
                Membership.person_id == person.id,
            )
        )
    )
    return bool(member) or organisation_in_partnership(person.organisation, partnership)


def _check_structure(
    strategy: Strategy,
    *,
    theme: Theme,
    delivery_group: DeliveryGroup | None,
    lead_organisation: Organisation | None,
    owner: Person | None,
) -> None:
    if theme.strategy_id != strategy.id:
        raise PlanError("That theme is not part of this strategy")
    if not theme.is_active:
        raise PlanError(f"The theme “{theme.name}” was merged; choose a current theme")
    if delivery_group is not None:
        if delivery_group.strategy_id != strategy.id:
            raise PlanError("That delivery group is not part of this strategy")
        if not delivery_group.is_active:
            raise PlanError(
                f"The delivery group “{delivery_group.name}” was merged; "
                "choose a current group"
            )
    if lead_organisation is not None and not organisation_in_partnership(
        lead_organisation, strategy.partnership
    ):
        raise PlanError(
            f"{lead_organisation.name} does not take part in {strategy.partnership.name}"
        )
    if owner is not None and not person_in_partnership(owner, strategy.partnership):
        raise PlanError(f"{owner.name} is not in {strategy.partnership.name}")


def _record(
    action: Action,
    field: str,
    old: str | None,
    new: str | None,
    *,
    actor: Actor,
    on: date,
    at: datetime,
    note: str = "",
) -> None:
    db.session.add(
        ActionEvent(
            action=action,
            field=field,
            old_value=old,
            new_value=new,
            note=note,
            effective_on=on,
            changed_at=at,
            **_who(actor),
        )
    )


def _apply(
    action: Action,
    changes: dict[str, object],
    *,
    actor: Actor,
    on: date,
    at: datetime,
    note: str = "",
) -> list[str]:
    """Set each changed field and record it; returns the names of the fields changed."""
    changed = []
    # One flush at the end, so the version goes up once per change, not per field.
    with db.session.no_autoflush:
        for field, new in changes.items():
            if field not in TRACKED_FIELDS:
                raise ValueError(f"{field} is not a tracked action field")
            old = getattr(action, field)
            if encode(old) == encode(new):
                continue
            setattr(action, field, new)
            _record(
                action,
                field,
                encode(old),
                encode(new),
                actor=actor,
                on=on,
                at=at,
                note=note,
            )
            changed.append(field)
    return changed


def snapshot(action: Action) -> dict[str, str | None]:
    """The action's tracked fields as event text, for the "created" event."""
    return {field: encode(getattr(action, field)) for field in TRACKED_FIELDS}


def last_status_change(action: Action) -> date | None:
    """The effective day of the action's latest status change (creation aside)."""
    return db.session.scalar(
        select(func.max(ActionEvent.effective_on)).where(
            ActionEvent.action_id == action.id, ActionEvent.field == "status"
        )
    )


def _status_changes(
    action: Action, status: ActionStatus, *, day: date
) -> dict[str, object]:
    """The field changes that moving to ``status`` on ``day`` implies."""
    changes: dict[str, object] = {"status": status}
    if status is ActionStatus.COMPLETED:
        if action.status is not ActionStatus.COMPLETED:
            changes["completed_on"] = day
        changes["progress_pct"] = 100
    else:
        changes["completed_on"] = None
    return changes


def _check_backdating(action: Action, day: date, today: date, what: str) -> None:
    if day > today:
        raise PlanError(f"The {what} cannot be in the future")
    latest = last_status_change(action)
    if latest is not None and day < latest:
        raise PlanError(
            f"The {what} must be on or after {day_text(latest)}, "
            "when the status last changed"
        )


# Strategies, themes and delivery groups ------------------------------------------


def find_strategy(slug: str) -> Strategy | None:
    """The strategy with this slug."""
    return db.session.scalar(select(Strategy).where(Strategy.slug == slug))


def create_strategy(
    *,
    slug: str,
    title: str,
    partnership: Partnership,
    starts_on: date,
    ends_on: date,
    description: str = "",
) -> Strategy:
    """Add a strategy to a partnership.

    :raise PlanError: if the slug is malformed or taken, or the period is reversed.
    """
    if not SLUG_PATTERN.match(slug) or len(slug) > 64:
        raise PlanError(
            f"“{slug}” is not a valid short name: use lower-case letters, numbers "
            "and single hyphens"
        )
    if find_strategy(slug) is not None:
        raise PlanError(f"A strategy called “{slug}” already exists")
    if ends_on < starts_on:
        raise PlanError("The strategy must end on or after the day it starts")
    strategy = Strategy(
        slug=slug,
        title=_check_text(title, "strategy's title", MAX_NAME),
        description=description.strip(),
        partnership=partnership,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(strategy)
    db.session.flush()
    return strategy


def update_strategy(
    strategy: Strategy,
    *,
    opened_version: int,
    title: str,
    description: str,
    starts_on: date,
    ends_on: date,
) -> None:
    """Change a strategy's title, description or period unless someone saved first."""
    if strategy.version != opened_version:
        raise EditConflictError(CONFLICT_MESSAGE.replace("action", "strategy"))
    if ends_on < starts_on:
        raise PlanError("The strategy must end on or after the day it starts")
    strategy.title = _check_text(title, "strategy's title", MAX_NAME)
    strategy.description = description.strip()
    strategy.starts_on = starts_on
    strategy.ends_on = ends_on
    strategy.version += 1
    db.session.flush()


def _name_taken(existing: Iterable[Theme | DeliveryGroup], name: str) -> bool:
    return any(item.name.casefold() == name.casefold() for item in existing)


def create_theme(
    strategy: Strategy, *, name: str, position: int | None = None
) -> Theme:
    """Add a theme, at the end of the strategy's themes unless ``position`` is given."""
    name = _check_text(name, "theme's name", MAX_NAME)
    if _name_taken(strategy.themes, name):
        raise PlanError(f"The strategy already has a theme called “{name}”")
    if position is None:
        position = max((theme.position for theme in strategy.themes), default=0) + 1
    theme = Theme(strategy=strategy, name=name, position=position)
    db.session.add(theme)
    db.session.flush()
    return theme


def rename_theme(theme: Theme, *, name: str) -> None:
    """Correct a theme's name. To keep the old name in earlier reports, merge instead."""
    name = _check_text(name, "theme's name", MAX_NAME)
    others = [other for other in theme.strategy.themes if other.id != theme.id]
    if _name_taken(others, name):
        raise PlanError(f"The strategy already has a theme called “{name}”")
    theme.name = name
    db.session.flush()


def create_group(
    strategy: Strategy,
    *,
    name: str,
    theme: Theme | None = None,
    chair: Person | None = None,
    members: Sequence[Person] = (),
) -> DeliveryGroup:
    """Add a delivery group, usually for one theme, with its chair and members."""
    group = DeliveryGroup()
    _set_group(group, strategy, name=name, theme=theme, chair=chair, members=members)
    group.strategy = strategy
    db.session.add(group)
    db.session.flush()
    return group


def update_group(
    group: DeliveryGroup,
    *,
    name: str,
    theme: Theme | None,
    chair: Person | None,
    members: Sequence[Person],
) -> None:
    """Change a delivery group's name, theme, chair or members."""
    _set_group(
        group, group.strategy, name=name, theme=theme, chair=chair, members=members
    )
    db.session.flush()


def _set_group(
    group: DeliveryGroup,
    strategy: Strategy,
    *,
    name: str,
    theme: Theme | None,
    chair: Person | None,
    members: Sequence[Person],
) -> None:
    name = _check_text(name, "group's name", MAX_NAME)
    others = [other for other in strategy.groups if other is not group]
    if _name_taken(others, name):
        raise PlanError(f"The strategy already has a delivery group called “{name}”")
    if theme is not None and theme.strategy_id != strategy.id:
        raise PlanError("That theme is not part of this strategy")
    people = list(dict.fromkeys([*members, *([chair] if chair else [])]))
    for person in people:
        if not person_in_partnership(person, strategy.partnership):
            raise PlanError(f"{person.name} is not in {strategy.partnership.name}")
    group.name = name
    group.theme = theme
    group.chair = chair
    group.members = people


def _check_merge(
    sources: Sequence[Theme] | Sequence[DeliveryGroup],
    into: Theme | DeliveryGroup,
    what: str,
) -> None:
    if not sources:
        raise PlanError(f"Choose the {what}s to merge")
    if not into.is_active:
        raise PlanError(f"The {what} “{into.name}” was itself merged; choose another")
    for source in sources:
        if source.strategy_id != into.strategy_id:
            raise PlanError(f"Only {what}s of the same strategy can be merged")
        if source is into:
            raise PlanError(f"A {what} cannot be merged into itself")
        if not source.is_active:
            raise PlanError(f"The {what} “{source.name}” was already merged")


def merge_themes(
    sources: Sequence[Theme],
    into: Theme,
    *,
    by: Actor,
    at: datetime | None = None,
) -> None:
    """Move every action and group of ``sources`` to ``into`` and retire ``sources``.

    The retired themes keep their names and point at ``into``; each moved action
    records the theme change, so reports for earlier dates show the old themes.
    """
    _check_merge(sources, into, "theme")
    moment = _moment(at)
    day = local_date(moment)
    strategy = into.strategy
    for source in sources:
        note = f"Theme “{source.name}” merged into “{into.name}”"
        for action in strategy.actions:
            if action.theme is source:
                _apply(action, {"theme": into}, actor=by, on=day, at=moment, note=note)
        for group in strategy.groups:
            if group.theme is source:
                group.theme = into
        source.merged_into = into
        source.retired_on = day
    _flush()


def merge_groups(
    sources: Sequence[DeliveryGroup],
    into: DeliveryGroup,
    *,
    by: Actor,
    at: datetime | None = None,
) -> None:
    """Move every action and member of ``sources`` to ``into`` and retire ``sources``."""
    _check_merge(sources, into, "delivery group")
    moment = _moment(at)
    day = local_date(moment)
    strategy = into.strategy
    for source in sources:
        note = f"Delivery group “{source.name}” merged into “{into.name}”"
        for action in strategy.actions:
            if action.delivery_group is source:
                _apply(
                    action,
                    {"delivery_group": into},
                    actor=by,
                    on=day,
                    at=moment,
                    note=note,
                )
        into.members = list(dict.fromkeys([*into.members, *source.members]))
        source.merged_into = into
        source.retired_on = day
    _flush()


# Actions --------------------------------------------------------------------------


def create_action(
    strategy: Strategy,
    *,
    ref: str,
    title: str,
    theme: Theme,
    due_date: date,
    description: str = "",
    delivery_group: DeliveryGroup | None = None,
    lead_organisation: Organisation | None = None,
    owner: Person | None = None,
    start_date: date | None = None,
    status: ActionStatus = ActionStatus.NOT_STARTED,
    rag: Rag = Rag.NONE,
    progress_pct: int = 0,
    carried_forward_count: int = 0,
    origin: str = "",
    by: Actor = None,
    at: datetime | None = None,
) -> Action:
    """Add an action to the plan and record its starting state.

    :raise PlanError: on a taken reference, a due date before the start date, a
        progress outside 0-100, or a theme, group, organisation or owner from
        outside the strategy's partnership.
    """
    ref = _check_text(ref, "reference", MAX_REF)
    if db.session.scalar(
        select(Action.id).where(Action.strategy_id == strategy.id, Action.ref == ref)
    ):
        raise PlanError(f"The plan already has an action {ref}")
    if carried_forward_count < 0 or (
        status is ActionStatus.CARRIED_FORWARD and carried_forward_count < 1
    ):
        raise PlanError(
            "Only an action that has been carried forward can have that status"
        )
    check_dates(start_date, due_date)
    check_progress(progress_pct)
    _check_structure(
        strategy,
        theme=theme,
        delivery_group=delivery_group,
        lead_organisation=lead_organisation,
        owner=owner,
    )
    moment = _moment(at)
    day = local_date(moment)
    action = Action(
        strategy=strategy,
        ref=ref,
        title=_check_text(title, "title", MAX_TITLE),
        description=description.strip(),
        theme=theme,
        delivery_group=delivery_group,
        lead_organisation=lead_organisation,
        owner=owner,
        start_date=start_date,
        due_date=due_date,
        original_due_date=due_date,
        status=status,
        rag=rag,
        progress_pct=progress_pct,
        carried_forward_count=carried_forward_count,
        origin=origin.strip()[:200],
        created_at=moment,
    )
    db.session.add(action)
    _flush()
    _record(
        action,
        CREATED,
        None,
        json.dumps(snapshot(action), sort_keys=True),
        actor=by,
        on=day,
        at=moment,
    )
    _flush()
    return action


def update_action(
    action: Action,
    *,
    opened_version: int,
    ref: str,
    title: str,
    description: str,
    theme: Theme,
    delivery_group: DeliveryGroup | None,
    lead_organisation: Organisation | None,
    owner: Person | None,
    start_date: date | None,
    due_date: date,
    rag: Rag,
    progress_pct: int,
    by: Actor,
    at: datetime | None = None,
) -> list[str]:
    """Change an action's details unless someone saved first; returns the fields changed.

    Status has its own services (``change_status``, ``carry_forward``); a due date
    changed here is a correction, so before any carry-forward it also becomes the
    original due date.
    """
    _check_version(action, opened_version)
    strategy = action.strategy
    ref = _check_text(ref, "reference", MAX_REF)
    clash = db.session.scalar(
        select(Action.id).where(
            Action.strategy_id == strategy.id, Action.ref == ref, Action.id != action.id
        )
    )
    if clash:
        raise PlanError(f"The plan already has an action {ref}")
    check_dates(start_date, due_date)
    check_progress(progress_pct)
    _check_structure(
        strategy,
        theme=theme,
        delivery_group=delivery_group,
        lead_organisation=lead_organisation,
        owner=owner,
    )
    moment = _moment(at)
    changed = _apply(
        action,
        {
            "ref": ref,
            "title": _check_text(title, "title", MAX_TITLE),
            "description": description.strip(),
            "theme": theme,
            "delivery_group": delivery_group,
            "lead_organisation": lead_organisation,
            "owner": owner,
            "start_date": start_date,
            "due_date": due_date,
            "rag": rag,
            "progress_pct": progress_pct,
        },
        actor=by,
        on=local_date(moment),
        at=moment,
    )
    if "due_date" in changed and action.carried_forward_count == 0:
        action.original_due_date = due_date
    _flush()
    return changed


def change_status(
    action: Action,
    status: ActionStatus,
    *,
    opened_version: int,
    by: Actor,
    completed_on: date | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Move an action to ``status``; returns the fields changed.

    Completing sets ``completed_on`` (default: today) and progress to 100; the
    change takes effect on the completion date, which may be in the past but not
    before the last status change. Leaving "completed" clears the date.
    """
    _check_version(action, opened_version)
    if status is ActionStatus.CARRIED_FORWARD and (
        action.status is not ActionStatus.CARRIED_FORWARD
    ):
        raise PlanError(
            "Use “Carry forward” to carry an action into the next period: "
            "it needs a new due date and a reason"
        )
    moment = _moment(at)
    today = local_date(moment)
    day = today
    if status is ActionStatus.COMPLETED and action.status is not status:
        day = completed_on or today
        _check_backdating(action, day, today, "completion date")
    changed = _apply(
        action, _status_changes(action, status, day=day), actor=by, on=day, at=moment
    )
    _flush()
    return changed


def record_update(
    action: Action,
    *,
    opened_version: int,
    narrative: str,
    status: ActionStatus,
    rag: Rag,
    progress_pct: int,
    by: Actor,
    written_on: date | None = None,
    at: datetime | None = None,
) -> ActionUpdate:
    """Record a dated progress update and apply its status, RAG and progress.

    ``written_on`` (default today) may be in the past, but not before the
    action's last status change when the update changes the status.
    """
    _check_version(action, opened_version)
    narrative = narrative.strip()
    if not narrative:
        raise PlanError("Describe the progress made")
    check_progress(progress_pct)
    if (
        status is ActionStatus.CARRIED_FORWARD
        and action.status is not ActionStatus.CARRIED_FORWARD
    ):
        raise PlanError(
            "Use “Carry forward” to carry an action into the next period: "
            "it needs a new due date and a reason"
        )
    moment = _moment(at)
    today = local_date(moment)
    day = written_on or today
    if day > today:
        raise PlanError("The update's date cannot be in the future")
    if status is not action.status:
        _check_backdating(action, day, today, "update's date")
    changes = {"rag": rag, "progress_pct": progress_pct}
    if status is not action.status:
        changes.update(_status_changes(action, status, day=day))
    elif status is ActionStatus.COMPLETED:
        changes["progress_pct"] = 100
    _apply(action, changes, actor=by, on=day, at=moment)
    update = ActionUpdate(
        action=action,
        written_on=day,
        narrative=narrative,
        status=action.status,
        rag=action.rag,
        progress_pct=action.progress_pct,
        created_at=moment,
        **_who(by),
    )
    db.session.add(update)
    _flush()
    return update


def carry_forward(
    action: Action,
    *,
    opened_version: int,
    new_due_date: date,
    reason: str,
    by: Actor,
    at: datetime | None = None,
) -> None:
    """Carry an unfinished action into a later period with a new due date.

    The original due date stays; the count goes up by one; the reason is kept on
    the action and on each history entry.
    """
    _check_version(action, opened_version)
    if not action.status.is_open:
        raise PlanError(
            f"A {action.status.value} action cannot be carried forward; reopen it first"
        )
    reason = reason.strip()
    if not reason:
        raise PlanError("Give the reason for carrying the action forward")
    if new_due_date <= action.due_date:
        raise PlanError(
            "The new due date must be after the current one "
            f"({day_text(action.due_date)})"
        )
    check_dates(action.start_date, new_due_date)
    moment = _moment(at)
    _apply(
        action,
        {
            "due_date": new_due_date,
            "status": ActionStatus.CARRIED_FORWARD,
            "carried_forward_count": action.carried_forward_count + 1,
        },
        actor=by,
        on=local_date(moment),
        at=moment,
        note=reason,
    )
    action.carry_forward_reason = reason
    _flush()


# Links to indicators and survey items ----------------------------------------------


def link_indicator(action: Action, indicator: Indicator) -> None:
    """Say that the action is meant to move the indicator."""
    if indicator.strategy_id != action.strategy_id:
        raise PlanError("That indicator is not part of this strategy")
    if indicator not in action.indicators:
        action.indicators.append(indicator)
    db.session.flush()


def unlink_indicator(action: Action, indicator: Indicator) -> None:
    """Remove the link between the action and the indicator."""
    if indicator in action.indicators:
        action.indicators.remove(indicator)
    db.session.flush()


def _item_in_partnership(item: Item, partnership: Partnership) -> bool:
    survey = db.session.get(Survey, item.survey_id)
    if survey is None:
        return False
    if survey.partnership_id is not None:
        return survey.partnership_id == partnership.id
    return (
        partnership.programme_id is not None
        and survey.programme_id == partnership.programme_id
    )


def linked_items(action: Action) -> list[Item]:
    """The survey questions the action is meant to move."""
    return list(
        db.session.scalars(
            select(Item)
            .join(action_survey_item, action_survey_item.c.item_id == Item.id)
            .where(action_survey_item.c.action_id == action.id)
            .order_by(Item.survey_id, Item.position)
        )
    )


def link_survey_item(action: Action, item: Item) -> None:
    """Say that the action is meant to move answers to a survey question.

    :raise PlanError: if the question is from another partnership's survey.
    """
    if not _item_in_partnership(item, action.strategy.partnership):
        raise PlanError("That question is not from a survey of this partnership")
    if item not in linked_items(action):
        db.session.execute(
            action_survey_item.insert().values(action_id=action.id, item_id=item.id)
        )
    db.session.flush()


def unlink_survey_item(action: Action, item: Item) -> None:
    """Remove the link between the action and the survey question."""
    db.session.execute(
        action_survey_item.delete().where(
            action_survey_item.c.action_id == action.id,
            action_survey_item.c.item_id == item.id,
        )
    )
    db.session.flush()


# Indicators ------------------------------------------------------------------------


def create_indicator(
    strategy: Strategy,
    *,
    name: str,
    target_pct: float,
    direction: Direction = Direction.UP,
    description: str = "",
    amber_margin_pp: float = 5.0,
) -> Indicator:
    """Add an outcome indicator with a percentage target."""
    name = _check_text(name, "indicator's name", MAX_TITLE)
    if any(other.name.casefold() == name.casefold() for other in strategy.indicators):
        raise PlanError(f"The strategy already has an indicator called “{name}”")
    if not 0 <= target_pct <= 100:
        raise PlanError("The target must be between 0 and 100 per cent")
    if amber_margin_pp < 0:
        raise PlanError("The amber margin cannot be negative")
    position = max((other.position for other in strategy.indicators), default=0) + 1
    indicator = Indicator(
        strategy=strategy,
        position=position,
        name=name,
        description=description.strip(),
        target_pct=target_pct,
        direction=direction,
        amber_margin_pp=amber_margin_pp,
    )
    db.session.add(indicator)
    db.session.flush()
    return indicator


def record_indicator_value(
    indicator: Indicator,
    *,
    period_label: str,
    period_end: date,
    numerator: int,
    denominator: int,
    note: str = "",
    by: User | None = None,
) -> IndicatorValue:
    """Record (or correct) the indicator's actual value for a reporting period."""
    period_label = _check_text(period_label, "period's name", 64)
    if denominator <= 0:
        raise PlanError("The number counted (denominator) must be more than 0")
    if numerator < 0:
        raise PlanError("The number achieving the outcome cannot be negative")
    if numerator > denominator:
        raise PlanError(
            "The number achieving the outcome cannot be more than the number counted"
        )
    value = db.session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator.id,
            IndicatorValue.period_end == period_end,
        )
    )
    if value is None:
        value = IndicatorValue(indicator=indicator, period_end=period_end)
        db.session.add(value)
    value.period_label = period_label
    value.numerator = numerator
    value.denominator = denominator
    value.note = note.strip()
    value.user_id = by.id if by is not None else None
    db.session.flush()
    return value


def indicator_rag(indicator: Indicator, pct: float) -> Rag:
    """Green on or beyond target, amber within the margin short of it, red otherwise."""
    shortfall = (
        indicator.target_pct - pct
        if indicator.direction is Direction.UP
        else pct - indicator.target_pct
    )
    if shortfall <= 0:
        return Rag.GREEN
    if shortfall <= indicator.amber_margin_pp:
        return Rag.AMBER
    return Rag.RED
