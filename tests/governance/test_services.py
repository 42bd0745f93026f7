"""Action-plan services: validation, conflicts, history, carry-forward and refresh."""

import json
from datetime import date

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from governance import meetings
from governance import plan_survey
from governance import plans
from governance import queries
from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import Direction
from governance.models import IndicatorValue
from governance.models import Rag
from portal.directory import services as directory_services
from portal.errors import EditConflictError
from portal.extensions import db
from tests.helpers import add_waves
from tests.helpers import at
from tests.helpers import build_survey


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action, field=None):
    query = select(ActionEvent).where(ActionEvent.action_id == action.id)
    if field:
        query = query.where(ActionEvent.field == field)
    return list(db.session.scalars(query.order_by(ActionEvent.id)))


# Creating -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"start_date": date(2017, 4, 1), "due_date": date(2017, 3, 31)},
            "Due date must be on or after the start date",
        ),
        ({"progress_pct": 140}, "Progress must be between 0 and 100"),
        ({"progress_pct": -1}, "Progress must be between 0 and 100"),
        ({"title": "  "}, "Enter the title"),
        ({"ref": ""}, "Enter the reference"),
        ({"ref": "R" * 33}, "32 characters or fewer"),
        ({"status": ActionStatus.CARRIED_FORWARD}, "carried forward"),
    ],
)
def test_create_action_refuses_bad_values(make_action, overrides, message):
    with pytest.raises(plans.PlanError, match=message):
        make_action(**overrides)
    db.session.rollback()
    assert _count(Action) == 0
    assert _count(ActionEvent) == 0


def test_create_action_refuses_another_partnerships_things(plan, make_action):
    other = plans.create_strategy(
        slug="y-plan",
        title="Y",
        partnership=plan["y"],
        starts_on=date(2015, 1, 1),
        ends_on=date(2016, 1, 1),
    )
    y_theme = plans.create_theme(other, name="Prevention")
    with pytest.raises(plans.PlanError, match="not part of this strategy"):
        make_action(theme=y_theme)
    with pytest.raises(plans.PlanError, match="Y Lead Org does not take part"):
        make_action(lead_organisation=plan["y_lead"])
    with pytest.raises(plans.PlanError, match="Yuri Staff is not in Partnership X"):
        make_action(owner=plan["y_person"])


def test_create_action_refuses_a_taken_ref(make_action):
    make_action(ref="P1")
    with pytest.raises(plans.PlanError, match="already has an action P1"):
        make_action(ref="P1")


def test_database_constraints_back_the_rules(plan, make_action):
    action = make_action()
    action.start_date = date(2018, 4, 1)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    action.progress_pct = 140
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    indicator = plans.create_indicator(plan["strategy"], name="Rate", target_pct=60)
    db.session.add(
        IndicatorValue(
            indicator=indicator,
            period_label="Q1",
            period_end=date(2017, 6, 30),
            numerator=5,
            denominator=0,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_create_records_the_starting_state(plan, make_action):
    action = make_action(ref="P7", due_date=date(2017, 3, 31))
    (created,) = _events(action)
    assert created.field == plans.CREATED
    assert created.effective_on == date(2015, 10, 1)
    assert created.user_id == plan["coordinator"].id
    start = json.loads(created.new_value)
    assert start["ref"] == "P7"
    assert start["due_date"] == "2017-03-31"
    assert start["status"] == "not started"
    assert start["theme"] == str(plan["themes"]["Prevention"].id)
    assert action.original_due_date == date(2017, 3, 31)
    assert action.version == 1


# Editing --------------------------------------------------------------------------


def _edit(action, **changes):
    values = {
        "opened_version": action.version,
        "ref": action.ref,
        "title": action.title,
        "description": action.description,
        "theme": action.theme,
        "delivery_group": action.delivery_group,
        "lead_organisation": action.lead_organisation,
        "owner": action.owner,
        "start_date": action.start_date,
        "due_date": action.due_date,
        "rag": action.rag,
        "progress_pct": action.progress_pct,
        "by": None,
    }
    values.update(changes)
    return plans.update_action(action, **values)


def test_update_records_each_changed_field_with_who(plan, make_action):
    action = make_action()
    changed = _edit(
        action,
        title="A better title",
        rag=Rag.AMBER,
        theme=plan["themes"]["Diversion"],
        by=plan["coordinator"],
        at=at(date(2016, 5, 2)),
    )
    db.session.commit()
    assert changed == ["title", "theme", "rag"]
    assert action.version == 2
    events = _events(action)[1:]
    assert [(e.field, e.old_value, e.new_value) for e in events] == [
        ("title", "Do something useful", "A better title"),
        (
            "theme",
            str(plan["themes"]["Prevention"].id),
            str(plan["themes"]["Diversion"].id),
        ),
        ("rag", "none", "amber"),
    ]
    assert {e.author_name for e in events} == {"Coord-X"}
    assert {e.effective_on for e in events} == {date(2016, 5, 2)}


def test_second_editor_gets_a_conflict_and_nothing_changes(make_action):
    action = make_action()
    opened = action.version
    _edit(action, opened_version=opened, title="First editor's title")
    db.session.commit()
    events_before = len(_events(action))
    with pytest.raises(EditConflictError, match="Someone else changed this action"):
        _edit(action, opened_version=opened, title="Second editor's title")
    db.session.rollback()
    assert action.title == "First editor's title"
    assert len(_events(action)) == events_before


def test_a_lost_race_is_a_conflict_too(make_action):
    action = make_action()
    # Another request saves between our read and our write.
    db.session.execute(
        update(Action)
        .where(Action.id == action.id)
        .values(version=Action.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(EditConflictError):
        _edit(action, title="Mine")
    db.session.rollback()
    assert db.session.get(Action, action.id).title == "Do something useful"


def test_correcting_the_due_date_before_any_carry_forward_moves_the_original(
    make_action,
):
    action = make_action(due_date=date(2017, 3, 31))
    _edit(action, due_date=date(2017, 6, 30))
    assert action.original_due_date == date(2017, 6, 30)


def test_history_is_append_only(make_action):
    action = make_action()
    (created,) = _events(action)
    created.note = "tampered"
    with pytest.raises(ValueError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()


# Status and updates -----------------------------------------------------------------


def test_completing_sets_the_date_and_reopening_clears_it(make_action):
    action = make_action(start_date=date(2016, 1, 1))
    plans.change_status(
        action,
        ActionStatus.IN_PROGRESS,
        opened_version=action.version,
        by=None,
        at=at(date(2016, 2, 1)),
    )
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=date(2016, 3, 28),
        at=at(date(2016, 4, 3)),
    )
    db.session.commit()
    assert action.completed_on == date(2016, 3, 28)
    assert action.progress_pct == 100
    (completed,) = [e for e in _events(action, "status") if e.new_value == "completed"]
    # The change counts from the day it happened, not the day it was recorded.
    assert completed.effective_on == date(2016, 3, 28)
    assert completed.changed_at.date() == date(2016, 4, 3)
    plans.change_status(
        action,
        ActionStatus.IN_PROGRESS,
        opened_version=action.version,
        by=None,
        at=at(date(2016, 5, 1)),
    )
    assert action.completed_on is None


@pytest.mark.parametrize(
    ("completed_on", "message"),
    [
        (date(2016, 6, 1), "cannot be in the future"),
        (date(2016, 1, 15), "must be on or after 1 February 2016"),
    ],
)
def test_completion_date_must_fit_the_history(make_action, completed_on, message):
    action = make_action()
    plans.change_status(
        action,
        ActionStatus.IN_PROGRESS,
        opened_version=action.version,
        by=None,
        at=at(date(2016, 2, 1)),
    )
    with pytest.raises(plans.PlanError, match=message):
        plans.change_status(
            action,
            ActionStatus.COMPLETED,
            opened_version=action.version,
            by=None,
            completed_on=completed_on,
            at=at(date(2016, 3, 1)),
        )


def test_status_cannot_be_set_to_carried_forward_directly(make_action):
    action = make_action()
    with pytest.raises(plans.PlanError, match="Carry forward"):
        plans.change_status(
            action,
            ActionStatus.CARRIED_FORWARD,
            opened_version=action.version,
            by=None,
        )


def test_progress_update_applies_status_rag_and_progress(plan, make_action):
    action = make_action()
    update_ = plans.record_update(
        action,
        opened_version=action.version,
        narrative="Pilot running in two districts.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=40,
        by=plan["x_person"],
        written_on=date(2016, 6, 28),
        at=at(date(2016, 7, 2)),
    )
    db.session.commit()
    assert (action.status, action.rag, action.progress_pct) == (
        ActionStatus.IN_PROGRESS,
        Rag.GREEN,
        40,
    )
    assert update_.written_on == date(2016, 6, 28)
    assert update_.author_name == "Xena Staff"
    assert update_.user_id is None
    assert {e.field for e in _events(action)[1:]} == {"status", "rag", "progress_pct"}
    assert {e.person_id for e in _events(action)[1:]} == {plan["x_person"].id}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"narrative": " "}, "Describe the progress"),
        ({"progress_pct": 140}, "Progress must be between 0 and 100"),
        ({"written_on": date(2016, 8, 1)}, "cannot be in the future"),
        ({"status": ActionStatus.CARRIED_FORWARD}, "Carry forward"),
    ],
)
def test_progress_update_refuses_bad_values(make_action, changes, message):
    action = make_action()
    values = {
        "opened_version": action.version,
        "narrative": "Going well",
        "status": ActionStatus.IN_PROGRESS,
        "rag": Rag.GREEN,
        "progress_pct": 50,
        "by": None,
        "at": at(date(2016, 7, 2)),
    }
    values.update(changes)
    with pytest.raises(plans.PlanError, match=message):
        plans.record_update(action, **values)
    db.session.rollback()
    assert _count(ActionUpdate) == 0


def test_progress_update_from_a_stale_form_is_a_conflict(make_action):
    action = make_action()
    opened = action.version
    plans.change_status(
        action, ActionStatus.IN_PROGRESS, opened_version=opened, by=None
    )
    with pytest.raises(EditConflictError):
        plans.record_update(
            action,
            opened_version=opened,
            narrative="Done",
            status=ActionStatus.COMPLETED,
            rag=Rag.GREEN,
            progress_pct=100,
            by=None,
        )


# Carrying forward ----------------------------------------------------------------


def test_carry_forward_keeps_the_original_date_counts_and_gives_reasons(make_action):
    action = make_action(due_date=date(2017, 3, 31))
    plans.carry_forward(
        action,
        opened_version=action.version,
        new_due_date=date(2018, 3, 31),
        reason="Waiting for funding",
        by=None,
        at=at(date(2017, 4, 20)),
    )
    plans.record_update(
        action,
        opened_version=action.version,
        narrative="Funding agreed",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.AMBER,
        progress_pct=60,
        by=None,
        at=at(date(2017, 6, 30)),
    )
    plans.carry_forward(
        action,
        opened_version=action.version,
        new_due_date=date(2019, 3, 31),
        reason="Carried into 2018/19 at the refresh",
        by=None,
        at=at(date(2018, 4, 20)),
    )
    db.session.commit()
    assert action.due_date == date(2019, 3, 31)
    assert action.original_due_date == date(2017, 3, 31)
    assert action.carried_forward_count == 2
    assert action.carried_forward_text == "carried forward 2x"
    assert action.status is ActionStatus.CARRIED_FORWARD
    assert action.carry_forward_reason == "Carried into 2018/19 at the refresh"
    notes = [e.note for e in _events(action, "carried_forward_count")]
    assert notes == ["Waiting for funding", "Carried into 2018/19 at the refresh"]
    assert [e.new_value for e in _events(action, "due_date")] == [
        "2018-03-31",
        "2019-03-31",
    ]


@pytest.mark.parametrize(
    ("status", "new_due", "reason", "message"),
    [
        (ActionStatus.COMPLETED, date(2019, 3, 31), "x", "completed action cannot"),
        (ActionStatus.DISCONTINUED, date(2019, 3, 31), "x", "discontinued action"),
        (ActionStatus.IN_PROGRESS, date(2018, 3, 31), "x", "after the current one"),
        (ActionStatus.IN_PROGRESS, date(2019, 3, 31), " ", "Give the reason"),
    ],
)
def test_carry_forward_refuses(make_action, status, new_due, reason, message):
    action = make_action()
    plans.change_status(action, status, opened_version=action.version, by=None)
    with pytest.raises(plans.PlanError, match=message):
        plans.carry_forward(
            action,
            opened_version=action.version,
            new_due_date=new_due,
            reason=reason,
            by=None,
        )


# Refreshing the structure -------------------------------------------------------------


def test_merging_themes_and_groups_moves_actions_and_keeps_history(plan, make_action):
    prevention = make_action(ref="P1")
    diversion = make_action(
        ref="D1",
        theme=plan["themes"]["Diversion"],
        delivery_group=plan["groups"]["Diversion"],
    )
    strategy = plan["strategy"]
    merged = plans.create_theme(strategy, name="Prevention/Early Intervention")
    plans.merge_themes(
        [plan["themes"]["Prevention"], plan["themes"]["Diversion"]],
        merged,
        by=plan["coordinator"],
        at=at(date(2018, 4, 20)),
    )
    group = plans.create_group(
        strategy, name="Prevention/Early Intervention Group", theme=merged
    )
    plans.merge_groups(
        [plan["groups"]["Prevention"], plan["groups"]["Diversion"]],
        group,
        by=plan["coordinator"],
        at=at(date(2018, 4, 20)),
    )
    db.session.commit()
    assert prevention.theme is merged and diversion.theme is merged
    assert diversion.delivery_group is group
    assert [t.name for t in strategy.active_themes] == [
        "Offender Management",
        "Prevention/Early Intervention",
    ]
    old = plan["themes"]["Diversion"]
    assert old.merged_into is merged
    assert old.retired_on == date(2018, 4, 20)
    assert plan["groups"]["Diversion"].merged_into is group
    assert group.members == [plan["x_person"]]
    (event,) = _events(diversion, "theme")
    assert event.old_value == str(old.id)
    assert event.note == "Theme “Diversion” merged into “Prevention/Early Intervention”"
    history = queries.history(diversion)
    assert any(
        h.field == "Theme"
        and h.old == "Diversion"
        and h.new == "Prevention/Early Intervention"
        for h in history
    )
    with pytest.raises(plans.PlanError, match="was merged; choose a current theme"):
        plans.create_action(
            strategy, ref="D9", title="Late", theme=old, due_date=date(2019, 3, 31)
        )


def test_merge_refuses_nonsense(plan):
    themes = plan["themes"]
    with pytest.raises(plans.PlanError, match="into itself"):
        plans.merge_themes([themes["Diversion"]], themes["Diversion"], by=None)
    plans.merge_themes([themes["Diversion"]], themes["Prevention"], by=None)
    with pytest.raises(plans.PlanError, match="already merged"):
        plans.merge_themes(
            [themes["Diversion"]], themes["Offender Management"], by=None
        )
    with pytest.raises(plans.PlanError, match="itself merged"):
        plans.merge_themes(
            [themes["Offender Management"]], themes["Diversion"], by=None
        )
    with pytest.raises(plans.PlanError, match="Choose the themes"):
        plans.merge_themes([], themes["Prevention"], by=None)


def test_theme_and_group_names_are_unique(plan):
    strategy = plan["strategy"]
    with pytest.raises(plans.PlanError, match="already has a theme"):
        plans.create_theme(strategy, name="prevention")
    with pytest.raises(plans.PlanError, match="already has a theme"):
        plans.rename_theme(plan["themes"]["Diversion"], name="Prevention")
    plans.rename_theme(plan["themes"]["Diversion"], name="Diversion from Court")
    with pytest.raises(plans.PlanError, match="already has a delivery group"):
        plans.create_group(strategy, name="Prevention Group")
    with pytest.raises(plans.PlanError, match="is not in Partnership X"):
        plans.create_group(strategy, name="New", members=[plan["y_person"]])


def test_strategy_rules(plan):
    with pytest.raises(plans.PlanError, match="already exists"):
        plans.create_strategy(
            slug="x-plan",
            title="Again",
            partnership=plan["x"],
            starts_on=date(2015, 1, 1),
            ends_on=date(2016, 1, 1),
        )
    with pytest.raises(plans.PlanError, match="not a valid short name"):
        plans.create_strategy(
            slug="Bad Slug",
            title="Again",
            partnership=plan["x"],
            starts_on=date(2015, 1, 1),
            ends_on=date(2016, 1, 1),
        )
    with pytest.raises(plans.PlanError, match="end on or after"):
        plans.create_strategy(
            slug="backwards",
            title="Again",
            partnership=plan["x"],
            starts_on=date(2016, 1, 1),
            ends_on=date(2015, 1, 1),
        )
    strategy = plan["strategy"]
    opened = strategy.version
    plans.update_strategy(
        strategy,
        opened_version=opened,
        title="Refreshed",
        description="",
        starts_on=strategy.starts_on,
        ends_on=date(2019, 3, 31),
    )
    with pytest.raises(EditConflictError):
        plans.update_strategy(
            strategy,
            opened_version=opened,
            title="Stale",
            description="",
            starts_on=strategy.starts_on,
            ends_on=date(2019, 3, 31),
        )


# Indicators and links ------------------------------------------------------------------


def test_indicator_values_and_rag(plan):
    indicator = plans.create_indicator(
        plan["strategy"],
        name="Increased compliance/engagement with helping agencies",
        target_pct=60,
    )
    value = plans.record_indicator_value(
        indicator,
        period_label="2017/18",
        period_end=date(2018, 3, 31),
        numerator=141,
        denominator=228,
    )
    assert round(value.pct, 1) == 61.8
    assert plans.indicator_rag(indicator, value.pct) is Rag.GREEN
    assert plans.indicator_rag(indicator, 56.0) is Rag.AMBER
    assert plans.indicator_rag(indicator, 54.9) is Rag.RED
    # A correction replaces the period's value instead of adding a second one.
    plans.record_indicator_value(
        indicator,
        period_label="2017/18",
        period_end=date(2018, 3, 31),
        numerator=140,
        denominator=228,
    )
    assert [(v.numerator, v.denominator) for v in indicator.values] == [(140, 228)]
    lower = plans.create_indicator(
        plan["strategy"],
        name="Reoffending",
        target_pct=25,
        direction=Direction.DOWN,
        amber_margin_pp=2,
    )
    assert plans.indicator_rag(lower, 24.8) is Rag.GREEN
    assert plans.indicator_rag(lower, 26.1) is Rag.AMBER
    assert plans.indicator_rag(lower, 27.2) is Rag.RED


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [
        (5, 0, "must be more than 0"),
        (229, 228, "cannot be more than the number counted"),
        (-1, 228, "cannot be negative"),
    ],
)
def test_indicator_value_refuses(plan, numerator, denominator, message):
    indicator = plans.create_indicator(plan["strategy"], name="Rate", target_pct=60)
    with pytest.raises(plans.PlanError, match=message):
        plans.record_indicator_value(
            indicator,
            period_label="Q1",
            period_end=date(2017, 6, 30),
            numerator=numerator,
            denominator=denominator,
        )


def test_indicator_target_must_be_a_percentage(plan):
    with pytest.raises(plans.PlanError, match="between 0 and 100"):
        plans.create_indicator(plan["strategy"], name="Rate", target_pct=140)


def test_links_stay_inside_the_partnership(plan, make_action):
    action = make_action()
    indicator = plans.create_indicator(plan["strategy"], name="Rate", target_pct=60)
    plans.link_indicator(action, indicator)
    plans.link_indicator(action, indicator)
    assert action.indicators == [indicator]
    other = plans.create_strategy(
        slug="y-plan",
        title="Y",
        partnership=plan["y"],
        starts_on=date(2015, 1, 1),
        ends_on=date(2016, 1, 1),
    )
    foreign = plans.create_indicator(other, name="Rate", target_pct=60)
    with pytest.raises(plans.PlanError, match="not part of this strategy"):
        plans.link_indicator(action, foreign)

    own_item = build_survey(plan["x"], slug="x-survey").items[0]
    their_item = build_survey(plan["y"], slug="y-survey").items[0]
    db.session.flush()
    plans.link_survey_item(action, own_item)
    plans.link_survey_item(action, own_item)
    assert plans.linked_items(action) == [own_item]
    with pytest.raises(plans.PlanError, match="not from a survey of this partnership"):
        plans.link_survey_item(action, their_item)
    plans.unlink_survey_item(action, own_item)
    plans.unlink_indicator(action, indicator)
    assert plans.linked_items(action) == []
    assert action.indicators == []


# Reading ---------------------------------------------------------------------------


def test_pending_updates_lists_who_has_not_updated(plan, make_person, make_action):
    other = make_person("Olly Owner", "olly@example.org", plan["x_lead"])
    updated = make_action(ref="A1")
    pending = make_action(ref="A2", owner=other)
    make_action(ref="A3", owner=other, status=ActionStatus.COMPLETED)
    make_action(ref="A4", owner=None)
    plans.record_update(
        updated,
        opened_version=updated.version,
        narrative="On track",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=30,
        by=plan["x_person"],
        at=at(date(2018, 3, 20)),
    )
    db.session.commit()
    entries = queries.pending_updates(plan["strategy"], since=date(2018, 3, 1))
    assert [(e.person.name, e.updated, e.pending) for e in entries] == [
        ("Olly Owner", [], [pending]),
        ("Xena Staff", [updated], []),
    ]
    later = queries.pending_updates(plan["strategy"], since=date(2018, 4, 1))
    assert all(not entry.is_up_to_date for entry in later)


def test_plan_filters_and_sorts(plan, make_action):
    a10 = make_action(ref="P10", due_date=date(2016, 3, 31), rag=Rag.RED)
    a2 = make_action(ref="P2", theme=plan["themes"]["Diversion"])
    a1 = make_action(
        ref="P1", status=ActionStatus.COMPLETED, due_date=date(2016, 3, 31)
    )
    strategy = plan["strategy"]
    assert queries.plan_actions(strategy, queries.PlanFilter()) == [a1, a2, a10]
    assert queries.plan_actions(
        strategy, queries.PlanFilter(overdue_on=date(2017, 1, 1))
    ) == [a10]
    assert queries.plan_actions(
        strategy, queries.PlanFilter(theme_id=plan["themes"]["Diversion"].id)
    ) == [a2]
    assert queries.plan_actions(strategy, queries.PlanFilter(rag=Rag.RED)) == [a10]
    assert queries.plan_actions(
        strategy, queries.PlanFilter(status=ActionStatus.COMPLETED)
    ) == [a1]
    assert queries.plan_actions(strategy, queries.PlanFilter(sort="due_date")) == [
        a1,
        a10,
        a2,
    ]
    assert queries.plan_actions(strategy, queries.PlanFilter(sort="rag")) == [
        a10,
        a1,
        a2,
    ]
    # An unknown sort falls back to the reference.
    assert queries.plan_actions(
        strategy, queries.PlanFilter(sort="title; DROP TABLE")
    ) == [a1, a2, a10]


@pytest.mark.parametrize(
    ("sort", "refs"),
    [
        ("ref", ["A1", "A2", "A3", "A4"]),
        ("due_date", ["A3", "A1", "A4", "A2"]),
        # Overdue on 1 June 2018 first (oldest first), then the rest by due date.
        ("overdue", ["A1", "A4", "A3", "A2"]),
        ("status", ["A2", "A1", "A4", "A3"]),
        ("rag", ["A1", "A4", "A2", "A3"]),
        ("progress", ["A1", "A2", "A4", "A3"]),
        ("owner", ["A2", "A3", "A4", "A1"]),
        ("lead", ["A2", "A4", "A1", "A3"]),
        ("theme", ["A2", "A4", "A3", "A1"]),
        ("group", ["A3", "A2", "A4", "A1"]),
    ],
)
def test_every_sort_orders_the_plan(
    plan, make_action, make_person, make_organisation, sort, refs
):
    """Each sort of the plan page, on four actions that differ in every field."""
    themes, groups = plan["themes"], plan["groups"]
    second_lead = make_organisation("A Second Lead", partnership=plan["x"])
    olly = make_person("Olly Owner", "olly@example.org", plan["x_lead"])
    make_action(
        ref="A1",
        theme=themes["Offender Management"],
        delivery_group=None,
        owner=None,
        lead_organisation=plan["x_partner"],
        due_date=date(2017, 3, 31),
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.RED,
        progress_pct=10,
    )
    make_action(
        ref="A2",
        theme=themes["Prevention"],
        delivery_group=groups["Offender Management"],
        owner=olly,
        lead_organisation=second_lead,
        due_date=date(2099, 3, 31),
        status=ActionStatus.NOT_STARTED,
        rag=Rag.GREEN,
        progress_pct=20,
    )
    make_action(
        ref="A3",
        theme=themes["Diversion"],
        delivery_group=groups["Diversion"],
        owner=olly,
        lead_organisation=plan["x_partner"],
        due_date=date(2016, 3, 31),
        status=ActionStatus.COMPLETED,
        progress_pct=100,
    )
    make_action(
        ref="A4",
        theme=themes["Prevention"],
        delivery_group=groups["Prevention"],
        owner=plan["x_person"],
        lead_organisation=second_lead,
        due_date=date(2018, 3, 31),
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.AMBER,
        progress_pct=40,
    )
    ordered = queries.plan_actions(
        plan["strategy"], queries.PlanFilter(sort=sort, today=date(2018, 6, 1))
    )
    assert [action.ref for action in ordered] == refs


def test_a_refresh_is_described_and_earlier_reports_name_the_old_structure(
    plan, make_action
):
    themes, groups = plan["themes"], plan["groups"]
    strategy = plan["strategy"]
    make_action(ref="P1")
    make_action(ref="D1", theme=themes["Diversion"], delivery_group=groups["Diversion"])
    merged = plans.create_theme(strategy, name="Prevention/Early Intervention")
    refresh = at(date(2018, 4, 20))
    plans.merge_themes(
        [themes["Prevention"], themes["Diversion"]], merged, by=None, at=refresh
    )
    plans.merge_groups([groups["Diversion"]], groups["Prevention"], by=None, at=refresh)
    db.session.commit()
    assert queries.structure_changes(strategy) == [
        "20 April 2018: the themes “Prevention” and “Diversion” were merged into "
        "“Prevention/Early Intervention”.",
        "20 April 2018: the delivery group “Diversion Group” was merged into "
        "“Prevention Group”.",
    ]
    before = queries.merged_later(strategy, date(2018, 3, 31))
    assert before["theme"] == {
        "Prevention": "Merged into “Prevention/Early Intervention” on 20 April 2018",
        "Diversion": "Merged into “Prevention/Early Intervention” on 20 April 2018",
    }
    assert before["group"] == {
        "Diversion Group": "Merged into “Prevention Group” on 20 April 2018"
    }
    # After the refresh the old names are history, not notes.
    assert queries.merged_later(strategy, date(2018, 4, 20)) == {
        "theme": {},
        "group": {},
    }


def test_history_lists_every_progress_update_even_one_that_changed_nothing(
    plan, make_action
):
    action = make_action()
    plans.record_update(
        action,
        opened_version=action.version,
        narrative="Started: the first hub opened.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=20,
        by=plan["coordinator"],
        at=at(date(2016, 1, 10)),
    )
    plans.record_update(
        action,
        opened_version=action.version,
        narrative="No change this quarter.",
        status=ActionStatus.IN_PROGRESS,
        rag=Rag.GREEN,
        progress_pct=20,
        by=plan["x_person"],
        written_on=date(2016, 3, 28),
        at=at(date(2016, 4, 2)),
    )
    db.session.commit()
    entries = [
        (entry.field, entry.new, entry.who, entry.effective_on)
        for entry in queries.history(action)
    ]
    assert entries == [
        ("Progress update", "No change this quarter.", "Xena Staff", date(2016, 3, 28)),
        (
            "Progress update",
            "Started: the first hub opened.",
            "Coord-X",
            date(2016, 1, 10),
        ),
        ("RAG", "Green", "Coord-X", date(2016, 1, 10)),
        ("Progress", "20%", "Coord-X", date(2016, 1, 10)),
        ("Status", "In progress", "Coord-X", date(2016, 1, 10)),
        (
            "Created",
            "Theme: Prevention, Due date: 31 March 2018, Status: Not started",
            "Coord-X",
            date(2015, 10, 1),
        ),
    ]


def test_board_meetings_either_side_of_today(plan):
    assert queries.board_meetings(plan["strategy"], date(2018, 3, 1)) == (
        queries.BoardMeetings(last=None, next=None)
    )
    board = meetings.create_body(
        plan["x"], name="X Board", kind=meetings.BodyKind.BOARD
    )
    group = meetings.create_body(
        plan["x"], name="X Group", kind=meetings.BodyKind.GROUP
    )

    def meet(body, day):
        return meetings.create_meeting(body, held_on=day, place="Town hall")

    december = meet(board, date(2017, 12, 12))
    meet(group, date(2018, 2, 20))
    cancelled = meet(board, date(2018, 2, 27))
    cancelled.cancel("Not quorate")
    march = meet(board, date(2018, 3, 13))
    meet(group, date(2018, 3, 6))
    db.session.commit()
    found = queries.board_meetings(plan["strategy"], date(2018, 3, 1))
    assert (found.last, found.next) == (december, march)
    assert found.since == date(2017, 12, 13)
    after = queries.board_meetings(plan["strategy"], date(2018, 3, 14))
    assert (after.last, after.next) == (march, None)


def test_a_linked_question_shows_its_change_beside_the_actions(plan, make_action):
    survey = build_survey(plan["x"], slug="x-survey")
    db.session.flush()
    item, _ = add_waves(survey, plan["x"], ["2223334445", "1122233345", "1111111223"])
    other_item = next(i for i in survey.items if i.code == "profile_role")
    hubs = make_action(ref="P2", title="Hubs")
    vision = make_action(ref="P10", title="Vision day")
    unlinked = make_action(ref="P3")
    plans.link_survey_item(vision, item)
    plans.link_survey_item(hubs, item)
    plans.link_survey_item(hubs, other_item)
    db.session.commit()

    (question, not_likert) = plan_survey.linked_questions(
        plan["strategy"], shown=lambda survey: True
    )
    assert question.item == item and question.actions == [hubs, vision]
    assert unlinked not in question.actions
    assert question.answered_by == "All respondents"
    assert question.positive == "agree"
    assert [
        (w.number, w.base_n, w.pct_positive, w.change_text) for w in question.waves
    ] == [(1, 10, 30.0, ""), (2, 10, 50.0, "+20.0 pp"), (3, 10, 90.0, "+40.0 pp")]
    # The latest wave against the first, tested as the survey report tests it.
    assert question.since_first.change_text == "+60.0 pp"
    assert question.since_first.flag == "improved"
    assert not_likert.item == other_item and not not_likert.is_likert
    assert not_likert.waves == []
    # Someone who may not see the survey's results gets the questions, no figures.
    (hidden, _) = plan_survey.linked_questions(
        plan["strategy"], shown=lambda survey: False
    )
    assert not hidden.shown and hidden.waves == [] and hidden.actions == [hubs, vision]


def test_a_programme_survey_gives_the_partnership_its_own_answers(plan, make_action):
    programme = directory_services.create_programme(slug="rrcf", name="RRCF")
    plan["x"].programme = programme
    plan["y"].programme = programme
    survey = build_survey(plan["x"], slug="rrcf-survey")
    survey.partnership = None
    survey.programme = programme
    db.session.flush()
    item, _ = add_waves(
        survey,
        plan["x"],
        ["22233", "11122"],
        other=(plan["y"], ["55555", "55555"]),
    )
    action = make_action()
    plans.link_survey_item(action, item)
    db.session.commit()
    (question,) = plan_survey.linked_questions(
        plan["strategy"], shown=lambda survey: True
    )
    assert question.answered_by == "Respondents from Partnership X"
    assert [(w.base_n, w.pct_positive) for w in question.waves] == [
        (5, 60.0),
        (5, 100.0),
    ]
    assert question.since_first is None  # two waves: the change is wave 2's


def test_a_group_under_the_minimum_base_is_suppressed(plan, make_action):
    survey = build_survey(plan["x"], slug="x-survey")
    db.session.flush()
    item, _ = add_waves(survey, plan["x"], ["12", "1122233"])
    action = make_action()
    plans.link_survey_item(action, item)
    db.session.commit()
    (question,) = plan_survey.linked_questions(
        plan["strategy"], shown=lambda survey: True, min_base=5
    )
    first, second = question.waves
    assert (first.pct_positive, first.flag) == (None, "suppressed")
    assert second.pct_positive == 71.4
