"""The action-plan CSV: every problem named, all-or-nothing import, exact round trip."""

from datetime import date

import pytest
from sqlalchemy import func
from sqlalchemy import select

from governance import plan_csv
from governance import plans
from governance.models import Action
from governance.models import ActionStatus
from governance.models import ActionUpdate
from governance.models import Rag
from governance.models import Theme
from portal.extensions import db
from tests.sample_files import HEADER
from tests.sample_files import PLAN


def _rows(*lines):
    return HEADER + "\n" + "".join(line + "\n" for line in lines)


GOOD_ROW = (
    "P9,A title,Prevention,,X Lead Org,xena@example.org,2016-01-01,2016-06-30,"
    "in progress,green,50,"
)


def _with(column, value, ref="P8"):
    """GOOD_ROW with reference ``ref`` and ``column`` set to ``value``."""
    cells = GOOD_ROW.split(",")
    cells[0] = ref
    cells[plan_csv.PLAN_COLUMNS.index(column)] = value
    return ",".join(cells)


def _check(plan, text, **kwargs):
    return plan_csv.check_plan_csv(text, partnership=plan["x"], **kwargs)


def _new_strategy(plan, slug="imported"):
    return plans.create_strategy(
        slug=slug,
        title="Imported plan",
        partnership=plan["x"],
        starts_on=date(2015, 10, 1),
        ends_on=date(2019, 3, 31),
    )


def test_a_good_file_checks_clean(plan):
    check = _check(plan, PLAN)
    assert check.problems == []
    assert [row.ref for row in check.rows] == ["P1", "P2", "D1", "D2", "O1"]
    assert check.rows[0].owner == plan["x_person"]
    assert check.rows[3].title == "=SUM(1) is not a formula"
    assert check.period() == (date(2015, 10, 1), date(2019, 3, 31))


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        (
            "status",
            "done",
            "“done” is not a status: use one of not started, in progress, "
            "completed, carried forward, discontinued",
        ),
        (
            "status",
            "",
            "the status is missing: use one of not started, in progress, "
            "completed, carried forward, discontinued",
        ),
        ("due_date", "31/03/2018", "“31/03/2018” is not a date written YYYY-MM-DD"),
        ("start_date", "2016-02-30", "“2016-02-30” is not a date written YYYY-MM-DD"),
        ("due_date", "20160630", "“20160630” is not a date written YYYY-MM-DD"),
        ("due_date", "2015-12-31", "Due date must be on or after the start date"),
        ("due_date", "", "the due date is missing"),
        ("progress_pct", "140", "Progress must be between 0 and 100"),
        ("progress_pct", "-5", "Progress must be between 0 and 100"),
        ("progress_pct", "lots", "“lots” is not a whole number"),
        ("rag", "purple", "“purple” is not red, amber, green or blank"),
        (
            "owner_email",
            "nobody@example.org",
            "no one with the email address nobody@example.org is in partnership "
            "x-partnership",
        ),
        (
            "owner_email",
            "yuri@example.org",
            "no one with the email address yuri@example.org is in partnership "
            "x-partnership",
        ),
        (
            "lead_organisation",
            "Y Lead Org",
            "“Y Lead Org” is not an organisation of partnership x-partnership",
        ),
        (
            "lead_organisation",
            "Nowhere Council",
            "“Nowhere Council” is not an organisation of partnership x-partnership",
        ),
        ("title", "", "the title is missing"),
        ("theme", "", "the theme is missing"),
        ("ref", "", "the reference is missing"),
    ],
)
def test_each_problem_names_row_and_column(plan, column, value, problem):
    check = _check(plan, _rows(GOOD_ROW, _with(column, value)))
    assert check.problems == [f"Row 3, column {column}: {problem}"]
    assert not check.is_valid


def test_every_problem_is_reported(plan):
    check = _check(
        plan,
        _rows(
            _with("status", "done", ref="P1"),
            _with("progress_pct", "140", ref="P2"),
            _with("title", "Another title", ref="P2"),
        ),
    )
    assert check.problems == [
        "Row 2, column status: “done” is not a status: use one of not started, "
        "in progress, completed, carried forward, discontinued",
        "Row 3, column progress_pct: Progress must be between 0 and 100",
        "Row 4, column ref: P2 is also on row 3",
    ]
    assert check.summary().endswith("(3 problems)")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Row 1: the columns must be ref,title,"),
        ("ref,title\nP1,x\n", "Row 1: the columns must be ref,title,"),
        (HEADER + "\n", "The file has no rows of actions"),
        (_rows(GOOD_ROW + ",extra"), "Row 2: has more cells than there are columns"),
    ],
)
def test_file_level_problems(plan, text, problem):
    check = _check(plan, text)
    assert check.problems
    assert check.problems[0].startswith(problem)


def test_words_are_matched_loosely_and_blank_rows_skipped(plan):
    row = _with("status", "In_Progress").replace("X Lead Org", "x lead org")
    row = row.replace("green", "GREEN").replace("xena@example.org", "XENA@example.org")
    check = _check(plan, _rows(row, ",,,,,,,,,,,"))
    assert check.is_valid, check.problems
    (parsed,) = check.rows
    assert parsed.status is ActionStatus.IN_PROGRESS
    assert parsed.rag is Rag.GREEN
    assert parsed.lead_organisation == plan["x_lead"]
    assert parsed.owner == plan["x_person"]


def test_import_then_export_round_trips_byte_for_byte(plan):
    strategy = _new_strategy(plan)
    check = _check(plan, PLAN)
    actions = plan_csv.import_plan(strategy, check, by=plan["coordinator"])
    db.session.commit()
    assert len(actions) == 5
    assert [theme.name for theme in strategy.themes] == [
        "Prevention",
        "Diversion",
        "Offender Management",
    ]
    assert [group.name for group in strategy.groups] == [
        "Diversion Group",
        "Prevention Group",
    ]
    by_ref = {action.ref: action for action in strategy.actions}
    assert by_ref["D2"].carried_forward_text == "carried forward 1x"
    assert by_ref["P1"].updates[0].narrative == "Rolled out to every secondary school."
    assert by_ref["P2"].updates == []
    assert plan_csv.export_plan_csv(strategy) == PLAN


def test_import_is_all_or_nothing(plan):
    strategy = _new_strategy(plan)
    check = _check(plan, PLAN + _with("status", "done") + "\n")
    with pytest.raises(plans.PlanError, match="Row 7, column status"):
        plan_csv.import_plan(strategy, check)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Action)) == 0
    assert db.session.scalar(select(func.count()).select_from(ActionUpdate)) == 0
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 3


def test_import_refuses_a_check_for_another_plan(plan):
    y_check = plan_csv.check_plan_csv(
        _rows(GOOD_ROW.replace("X Lead Org", "").replace("xena@example.org", "")),
        partnership=plan["y"],
    )
    assert y_check.is_valid
    with pytest.raises(plans.PlanError, match="checked for a different plan"):
        plan_csv.import_plan(_new_strategy(plan), y_check)


def test_importing_into_an_existing_plan(plan, make_action):
    make_action(ref="P9")
    strategy = plan["strategy"]
    merged = plans.create_theme(strategy, name="Prevention/Early Intervention")
    plans.merge_themes([plan["themes"]["Prevention"]], merged, by=None)
    db.session.commit()
    check = _check(plan, _rows(GOOD_ROW), strategy=strategy)
    assert check.problems == [
        "Row 2, column ref: the plan already has an action P9",
        "Row 2, column theme: “Prevention” was merged into "
        "“Prevention/Early Intervention”",
    ]
    row = GOOD_ROW.replace("P9", "P10").replace(
        "Prevention", "prevention/early intervention"
    )
    check = _check(plan, _rows(row), strategy=strategy)
    assert check.is_valid, check.problems
    (action,) = plan_csv.import_plan(strategy, check)
    assert action.theme is merged


def test_export_guards_formulas(plan, make_action):
    make_action(ref="@R1", title="+SUM(A1)")
    line = plan_csv.export_plan_csv(plan["strategy"]).splitlines()[1]
    assert line.startswith("'@R1,'+SUM(A1),")
