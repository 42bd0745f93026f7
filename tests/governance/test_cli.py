"""The ``plans`` commands: the contract of DESIGN.md, one-line reasons, nothing changed."""

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from governance.models import Action
from governance.models import Strategy
from portal.extensions import db
from tests.sample_files import PLAN


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=["plans", *args])
        db.session.expire_all()
        return result

    return invoke


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _staffordshire_csv():
    """53 actions due by 31 March 2018: 42 completed, 11 in progress."""
    lines = [
        "ref,title,theme,delivery_group,lead_organisation,owner_email,"
        "start_date,due_date,status,rag,progress_pct,last_update"
    ]
    themes = (
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    )
    for number in range(1, 54):
        status, rag, progress = (
            ("completed", "green", 100)
            if number <= 42
            else ("in progress", "amber", 60)
        )
        due = ("2016-03-31", "2017-03-31", "2018-03-31")[number % 3]
        lines.append(
            f'A{number},Action {number},"{themes[(number - 1) % 3]}",,X Lead Org,,'
            f"2015-10-01,{due},{status},{rag},{progress},"
        )
    return "\n".join(lines) + "\n"


def test_import_and_completion_as_at_31_march_2018(world, cli, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(_staffordshire_csv(), encoding="utf-8")
    result = cli(
        "import",
        "county-2015-18",
        str(path),
        "--title",
        "Strategic Framework for Reducing Offending 2015-18",
        "--partnership",
        "x-partnership",
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == "Strategy county-2015-18 created with 53 actions in 3 themes.\n"
    )
    result = cli("completion", "county-2015-18", "--as-of", "2018-03-31")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "group,scheduled,completed,in_progress,not_started,carried_forward,overdue,completion_pct",
        "all,53,42,11,0,0,7,79.2",
    ]
    result = cli(
        "completion",
        "county-2015-18",
        "--as-of",
        "2018-03-31",
        "--by",
        "theme",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["group"] for row in rows] == [
        "all",
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ]
    assert rows[0]["completion_pct"] == 79.2
    assert sum(row["scheduled"] for row in rows[1:]) == 53


def test_import_export_round_trip(world, cli, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(PLAN.encode("utf-8"))
    assert (
        cli(
            "import", "x-2", str(path), "--title", "X", "--partnership", "x-partnership"
        ).exit_code
        == 0
    )
    result = cli("export", "x-2")
    assert result.exit_code == 0
    assert result.output == PLAN
    result = cli("completion", "x-2", "--as-of", "2018-03-31", "--by", "lead")
    assert result.output.splitlines()[1:] == [
        "all,3,1,1,1,0,1,33.3",
        "X Lead Org,1,1,0,0,0,0,100.0",
        "X Partner Org,1,0,1,0,0,0,0.0",
        "No lead organisation,1,0,0,1,0,1,0.0",
    ]


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (("--partnership", "nowhere"), PLAN, "no partnership 'nowhere'"),
        ((), PLAN.replace("completed,green", "done,green"), "column status"),
        ((), PLAN.replace(",100,", ",140,"), "Progress must be between 0 and 100"),
        ((), PLAN.encode("utf-16"), "not UTF-8 text"),
        ((), None, "No such file"),
        (("--slug", "Bad Slug"), PLAN, "not a valid short name"),
    ],
)
def test_bad_import_exits_with_a_reason_and_changes_nothing(
    world, cli, tmp_path, args, content, message
):
    path = tmp_path / "plan.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    options = dict(zip(args[::2], args[1::2], strict=True))
    slug = options.pop("--slug", "x-2")
    partnership = options.pop("--partnership", "x-partnership")
    result = cli(
        "import", slug, str(path), "--title", "X", "--partnership", partnership
    )
    assert result.exit_code != 0
    assert message in result.output
    assert result.output.strip().count("\n") == 0
    assert _count(Strategy) == 0
    assert _count(Action) == 0


def test_import_refuses_a_taken_slug(world, cli, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    args = (
        "import",
        "x-2",
        str(path),
        "--title",
        "X",
        "--partnership",
        "x-partnership",
    )
    assert cli(*args).exit_code == 0
    result = cli(*args)
    assert result.exit_code == 1
    assert "a strategy 'x-2' already exists" in result.output
    assert _count(Action) == 5


def test_bad_row_is_named_and_nothing_is_imported(world, cli, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN.replace("2017-06-30", "30/06/2017"), encoding="utf-8")
    result = cli(
        "import", "x-2", str(path), "--title", "X", "--partnership", "x-partnership"
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: "
        f"{path}: Row 6, column due_date: “30/06/2017” is not a date written "
        "YYYY-MM-DD; nothing imported\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nowhere",), "no strategy 'nowhere'"),
        (("x-2", "--as-of", "31/03/2018"), "--as-of '31/03/2018' is not a date"),
    ],
)
def test_bad_completion_request(world, cli, tmp_path, args, message):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    cli("import", "x-2", str(path), "--title", "X", "--partnership", "x-partnership")
    result = cli("completion", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().count("\n") == 0


def test_completion_defaults_to_today(world, cli, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    cli("import", "x-2", str(path), "--title", "X", "--partnership", "x-partnership")
    result = cli("completion", "x-2")
    assert result.exit_code == 0
    # Everything is due by now; the discontinued action is left out.
    assert result.output.splitlines()[1].startswith("all,4,1,1,1,1,")
