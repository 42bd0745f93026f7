"""The demo county strategy: idempotent, deterministic, and true to seed 004."""

from datetime import date

from sqlalchemy import func
from sqlalchemy import select

from governance import completion
from governance import demo
from governance import plan_csv
from governance import plans
from governance import queries
from governance.models import Action
from governance.models import ActionEvent
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import IndicatorValue
from governance.models import Rag
from governance.models import Strategy
from portal.extensions import db
from portal.models import Membership
from portal.models import Person

TODAY = date(2026, 1, 15)
YEAR_END = date(2018, 3, 31)


def _counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Strategy,
            Action,
            ActionEvent,
            ActionUpdate,
            IndicatorValue,
            Person,
            Membership,
        )
    }


def _load(today=TODAY):
    demo.load(today)
    db.session.commit()
    strategy = plans.find_strategy(demo.STRATEGY_SLUG)
    assert strategy is not None
    return strategy


def test_load_is_idempotent(app):
    _load()
    before = _counts()
    _load()
    assert _counts() == before
    assert before["Action"] == 59


def test_53_actions_42_completed_79_point_2_per_cent_as_at_31_march_2018(app):
    strategy = _load()
    rows = completion.completion(
        strategy, as_of=YEAR_END, by=completion.Breakdown.THEME
    )
    assert (rows[0].scheduled, rows[0].completed, rows[0].in_progress) == (53, 42, 11)
    assert str(rows[0].completion_pct) == "79.2"
    assert [row.group for row in rows[1:]] == [
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ]
    assert all(
        a.original_due_date <= YEAR_END for a in strategy.actions if not a.origin
    )


def test_refresh_merges_three_themes_into_two_and_carries_eleven_forward(app):
    strategy = _load()
    assert [t.name for t in strategy.active_themes] == [
        "Prevention/Early Intervention",
        "Offender Management, Rehabilitation and Resettlement",
    ]
    retired = [t for t in strategy.themes if not t.is_active]
    assert [t.name for t in retired] == ["Prevention", "Diversion"]
    assert {t.merged_into.name for t in retired} == {"Prevention/Early Intervention"}
    assert [g.name for g in strategy.active_groups] == [
        "Offender Management, Rehabilitation and Resettlement Group",
        "Prevention/Early Intervention Group",
    ]
    carried = [a for a in strategy.actions if a.carried_forward_count]
    assert len(carried) == 11
    assert {a.due_date for a in carried} == {date(2019, 3, 31)}
    assert (
        sorted(a.carried_forward_text for a in carried).count("carried forward 2x") == 2
    )
    twice = [a for a in carried if a.carried_forward_count == 2]
    assert {a.original_due_date for a in twice} == {date(2017, 3, 31)}
    assert {a.status for a in twice} == {ActionStatus.IN_PROGRESS}
    now = completion.completion(strategy, as_of=TODAY)[0]
    assert now.carried_forward == 2
    assert now.scheduled == 58  # 53 + 6 new, one of them discontinued


def test_quarterly_updates_and_owners_who_have_not_updated(app):
    strategy = _load()
    written = set(db.session.scalars(select(ActionUpdate.written_on)))
    for start, end in (
        (date(2017, 6, 1), date(2017, 6, 30)),
        (date(2018, 3, 1), YEAR_END),
    ):
        assert any(start <= day <= end for day in written)
    pending = queries.pending_updates(strategy, since=date(2019, 1, 1))
    assert any(entry.pending for entry in pending)
    assert any(entry.is_up_to_date for entry in pending)


def test_tayside_style_indicators(app):
    strategy = _load()
    indicator = next(
        i
        for i in strategy.indicators
        if i.name == "Increased compliance/engagement with helping agencies"
    )
    assert indicator.target_pct == 60
    latest = indicator.values[-1]
    assert (latest.numerator, latest.denominator) == (141, 228)
    assert plans.indicator_rag(indicator, latest.pct) is Rag.GREEN
    assert indicator.values[0].period_label == "2017/18 Q1"
    linked = [a for a in strategy.actions if indicator in a.indicators]
    assert len(linked) == 3


def test_history_and_current_state_agree(app):
    strategy = _load()
    assert completion.states_as_of(
        strategy, date(2100, 1, 1)
    ) == completion.current_states(strategy)


def test_the_demo_records_nothing_after_today(app):
    strategy = _load(today=YEAR_END)
    (row,) = completion.completion(strategy, as_of=YEAR_END)
    assert (row.scheduled, row.completed, row.in_progress) == (53, 42, 11)
    assert len(strategy.active_themes) == 3
    assert {a.status for a in strategy.actions} == {
        ActionStatus.COMPLETED,
        ActionStatus.IN_PROGRESS,
    }
    assert max(db.session.scalars(select(ActionEvent.effective_on))) <= YEAR_END


def test_load_is_deterministic(app):
    strategy = _load()
    first = plan_csv.export_plan_csv(strategy)
    trend = completion.completion_trend(
        strategy, completion.quarter_ends(demo.LAUNCH, TODAY)
    )
    db.session.delete(strategy)
    db.session.commit()
    strategy = _load()
    assert plan_csv.export_plan_csv(strategy) == first
    assert (
        completion.completion_trend(
            strategy, completion.quarter_ends(demo.LAUNCH, TODAY)
        )
        == trend
    )
