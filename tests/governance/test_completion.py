"""Completion rates: the 42 of 53 case, as-of dates from history, breakdowns, output."""

import json
from datetime import date

import pytest

from governance import completion
from governance import plans
from governance.completion import Breakdown
from governance.completion import CompletionRow
from governance.models import ActionStatus
from governance.models import Rag
from portal.extensions import db
from tests.helpers import YEAR_END
from tests.helpers import _complete
from tests.helpers import _start
from tests.helpers import at


def _all(strategy, as_of, by=None):
    return completion.completion(strategy, as_of=as_of, by=by)


def test_42_of_53_is_79_point_2_per_cent_not_85(staffordshire):
    (row,) = _all(staffordshire["strategy"], YEAR_END)
    assert row == CompletionRow(
        group="all",
        scheduled=53,
        completed=42,
        in_progress=11,
        not_started=0,
        carried_forward=0,
        overdue=sum(
            1 for a in staffordshire["outstanding"] if a.original_due_date < YEAR_END
        ),
    )
    assert str(row.completion_pct) == "79.2"
    assert completion.completion_csv([row]).splitlines() == [
        "group,scheduled,completed,in_progress,not_started,carried_forward,overdue,completion_pct",
        f"all,53,42,11,0,0,{row.overdue},79.2",
    ]


def test_as_of_reads_the_history_not_the_current_state(staffordshire):
    strategy = staffordshire["strategy"]
    # Today the 11 are due in 2019 and three are complete; 31 March 2018 is unchanged.
    (now,) = _all(strategy, date(2018, 6, 30))
    assert (now.scheduled, now.completed) == (42, 42)
    (then,) = _all(strategy, YEAR_END)
    assert (then.scheduled, then.completed, then.in_progress) == (53, 42, 11)
    (year_after,) = _all(strategy, date(2019, 3, 31))
    assert (year_after.scheduled, year_after.completed) == (53, 45)
    assert year_after.carried_forward == 8
    assert year_after.overdue == 0
    (later,) = _all(strategy, date(2019, 4, 1))
    assert later.overdue == 8


def test_trend_over_reporting_periods(staffordshire):
    ends = completion.quarter_ends(date(2016, 1, 1), date(2019, 3, 31))
    trend = dict(completion.completion_trend(staffordshire["strategy"], ends))
    assert str(trend[YEAR_END].completion_pct) == "79.2"
    assert trend[date(2016, 3, 31)].scheduled == 18
    assert trend[date(2016, 3, 31)].completed == 14
    assert trend[date(2018, 6, 30)].completion_pct == 100
    assert len(trend) == len(ends) == 13


def test_a_completion_recorded_late_counts_from_the_day_it_happened(plan, make_action):
    action = make_action(due_date=date(2017, 3, 31))
    _start(action, date(2016, 1, 4))
    _complete(action, date(2017, 3, 28), recorded=date(2017, 4, 5))
    db.session.commit()
    (row,) = _all(plan["strategy"], date(2017, 3, 31))
    assert (row.completed, row.in_progress) == (1, 0)
    (before,) = _all(plan["strategy"], date(2017, 3, 27))
    assert before.scheduled == 0


def test_status_at_each_date(plan, make_action):
    action = make_action(due_date=date(2016, 6, 30))
    _start(action, date(2016, 2, 1))
    _complete(action, date(2016, 9, 12))
    db.session.commit()
    strategy = plan["strategy"]

    def status_on(day):
        (state,) = completion.states_as_of(strategy, day)
        return state.status

    assert status_on(date(2016, 1, 31)) is ActionStatus.NOT_STARTED
    assert status_on(date(2016, 2, 1)) is ActionStatus.IN_PROGRESS
    assert status_on(date(2016, 9, 11)) is ActionStatus.IN_PROGRESS
    assert status_on(date(2016, 9, 12)) is ActionStatus.COMPLETED
    (overdue,) = _all(strategy, date(2016, 7, 1))
    assert (overdue.scheduled, overdue.overdue) == (1, 1)
    (due_today,) = _all(strategy, date(2016, 6, 30))
    assert due_today.overdue == 0


def test_discontinued_actions_are_not_scheduled(plan, make_action):
    kept = make_action(due_date=date(2016, 3, 31))
    dropped = make_action(due_date=date(2016, 3, 31))
    plans.change_status(
        dropped,
        ActionStatus.DISCONTINUED,
        opened_version=dropped.version,
        by=None,
        at=at(date(2016, 5, 1)),
    )
    _complete(kept, date(2016, 3, 1))
    db.session.commit()
    strategy = plan["strategy"]
    (after,) = _all(strategy, date(2016, 6, 30))
    assert (after.scheduled, after.completed, str(after.completion_pct)) == (
        1,
        1,
        "100.0",
    )
    (before,) = _all(strategy, date(2016, 4, 30))
    assert (before.scheduled, before.not_started, before.overdue) == (2, 1, 1)


def test_breakdowns_show_the_structure_as_it_was(plan, make_action, make_organisation):
    themes, groups = plan["themes"], plan["groups"]
    other_lead = make_organisation("X Second Org", partnership=plan["x"])
    prevention = make_action(ref="P1", due_date=date(2016, 3, 31))
    diversion = make_action(
        ref="D1",
        theme=themes["Diversion"],
        delivery_group=groups["Diversion"],
        due_date=date(2016, 3, 31),
    )
    make_action(
        ref="O1",
        theme=themes["Offender Management"],
        delivery_group=None,
        lead_organisation=None,
        due_date=date(2016, 3, 31),
    )
    _complete(prevention, date(2016, 2, 1))
    strategy = plan["strategy"]
    merged = plans.create_theme(strategy, name="Prevention/Early Intervention")
    plans.merge_themes(
        [themes["Prevention"], themes["Diversion"]],
        merged,
        by=None,
        at=at(date(2018, 4, 20)),
    )
    plans.update_action(
        diversion,
        opened_version=diversion.version,
        ref=diversion.ref,
        title=diversion.title,
        description="",
        theme=diversion.theme,
        delivery_group=diversion.delivery_group,
        lead_organisation=other_lead,
        owner=diversion.owner,
        start_date=diversion.start_date,
        due_date=diversion.due_date,
        rag=Rag.NONE,
        progress_pct=0,
        by=None,
        at=at(date(2018, 5, 1)),
    )
    db.session.commit()

    def groups_of(day, by):
        return [
            (row.group, row.scheduled, row.completed) for row in _all(strategy, day, by)
        ]

    assert groups_of(YEAR_END, Breakdown.THEME) == [
        ("all", 3, 1),
        ("Prevention", 1, 1),
        ("Diversion", 1, 0),
        ("Offender Management", 1, 0),
    ]
    assert groups_of(date(2018, 6, 30), Breakdown.THEME) == [
        ("all", 3, 1),
        ("Offender Management", 1, 0),
        ("Prevention/Early Intervention", 2, 1),
    ]
    assert groups_of(YEAR_END, Breakdown.GROUP) == [
        ("all", 3, 1),
        ("Diversion Group", 1, 0),
        ("Prevention Group", 1, 1),
        ("No delivery group", 1, 0),
    ]
    assert groups_of(YEAR_END, Breakdown.LEAD) == [
        ("all", 3, 1),
        ("X Lead Org", 2, 1),
        ("No lead organisation", 1, 0),
    ]
    assert groups_of(date(2018, 6, 30), Breakdown.LEAD) == [
        ("all", 3, 1),
        ("X Lead Org", 1, 1),
        ("X Second Org", 1, 0),
        ("No lead organisation", 1, 0),
    ]


def test_an_imported_state_stands_for_earlier_dates(plan, make_action):
    make_action(
        status=ActionStatus.COMPLETED,
        due_date=date(2016, 3, 31),
        at=at(date(2020, 1, 1)),
    )
    (row,) = _all(plan["strategy"], date(2016, 3, 31))
    assert (row.scheduled, row.completed) == (1, 1)


def test_nothing_due_gives_a_blank_percentage(plan, make_action):
    make_action(due_date=YEAR_END)
    rows = _all(plan["strategy"], date(2016, 1, 1), Breakdown.THEME)
    assert rows == [CompletionRow("all", 0, 0, 0, 0, 0, 0)]
    assert rows[0].completion_pct is None
    assert completion.completion_csv(rows).splitlines()[1] == "all,0,0,0,0,0,0,"
    assert json.loads(completion.completion_json(rows))[0]["completion_pct"] is None


@pytest.mark.parametrize(
    ("completed", "scheduled", "expected"),
    [(42, 53, "79.2"), (1, 8, "12.5"), (2, 3, "66.7"), (1, 16, "6.3"), (3, 3, "100.0")],
)
def test_percentages_round_half_up_to_one_place(completed, scheduled, expected):
    row = CompletionRow("all", scheduled, completed, 0, 0, 0, 0)
    assert f"{row.completion_pct:.1f}" == expected


def test_output_formats(staffordshire):
    rows = _all(staffordshire["strategy"], YEAR_END, Breakdown.THEME)
    lines = completion.completion_csv(rows).splitlines()
    assert lines[0] == ",".join(completion.COMPLETION_COLUMNS)
    assert lines[1].startswith("all,53,42,11,0,0,")
    assert [line.split(",")[0] for line in lines[2:]] == [
        "Prevention",
        "Diversion",
        "Offender Management",
    ]
    data = json.loads(completion.completion_json(rows))
    assert list(data[0]) == list(completion.COMPLETION_COLUMNS)
    assert data[0]["completion_pct"] == 79.2
    assert data[0]["scheduled"] == 53


def test_group_names_are_guarded_against_formulas(plan, make_action):
    theme = plans.create_theme(plan["strategy"], name="=HYPERLINK(1)")
    make_action(theme=theme, delivery_group=None, due_date=date(2016, 3, 31))
    rows = _all(plan["strategy"], YEAR_END, Breakdown.THEME)
    assert completion.completion_csv(rows).splitlines()[2].startswith("'=HYPERLINK(1)")


def test_quarter_ends():
    assert completion.quarter_ends(date(2015, 10, 1), date(2016, 7, 1)) == [
        date(2015, 12, 31),
        date(2016, 3, 31),
        date(2016, 6, 30),
    ]
    assert completion.quarter_ends(date(2016, 4, 1), date(2016, 4, 2)) == []
