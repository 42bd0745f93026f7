"""The survey commands end to end: import instrument, add waves, import, export."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from portal.mail import outbox
from surveys import fieldwork
from surveys.models import Response
from surveys.models import Wave
from tests.helpers import TODAY

INSTRUMENT = (
    "code,section,preamble,text,type,scale,options,required\n"
    "clear_vision,Vision,To what extent do you agree?,The partnership has a clear vision,"
    "likert,agree5,,no\n"
    "trust,Vision,,Trust between partners has…,likert,increase5,,no\n"
    "role,About you,,What is your organisation's role?,single,,Lead|Partner,yes\n"
    "comments,About you,,Anything else?,text,,,no\n"
)
WAVE_1 = (
    "respondent_id,organisation,clear_vision,trust,role,comments\n"
    "r01,X Lead Org,Strongly agree,Increased a lot,Lead,\n"
    'r02,X Partner Org,Don\'t know,Stayed the same,Partner,"Better, slowly"\n'
    "r03,,Disagree,,Partner,\n"
)


@pytest.fixture
def invited_not_sent(survey_world):
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    return survey_world


def test_round_trip(app, world, tmp_path):
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()
        return result

    (tmp_path / "instrument.csv").write_text(INSTRUMENT)
    (tmp_path / "wave1.csv").write_text(WAVE_1)
    created = run(
        "surveys",
        "import-instrument",
        "x-partner-survey",
        str(tmp_path / "instrument.csv"),
        "--title",
        "X partner survey",
        "--partnership",
        world["x"].slug,
    )
    assert created.exit_code == 0, created.output
    for opens, closes in (("2014-01-06", "2014-02-28"), ("2014-10-01", "2014-10-31")):
        added = run(
            "surveys",
            "add-wave",
            "x-partner-survey",
            "--opens",
            opens,
            "--closes",
            closes,
        )
        assert added.exit_code == 0, added.output
    assert added.output.strip() == "2"
    imported = run(
        "surveys",
        "import-responses",
        "x-partner-survey",
        "--wave",
        "1",
        str(tmp_path / "wave1.csv"),
    )
    assert imported.exit_code == 0, imported.output
    exported = run("surveys", "export-responses", "x-partner-survey", "--wave", "1")
    assert exported.output == WAVE_1
    instrument = run("surveys", "export-instrument", "x-partner-survey")
    assert instrument.output == INSTRUMENT
    # Importing the same wave again is refused and changes nothing.
    again = run(
        "surveys",
        "import-responses",
        "x-partner-survey",
        "--wave",
        "1",
        str(tmp_path / "wave1.csv"),
    )
    assert again.exit_code != 0
    assert "already has 3 responses" in again.output
    assert db.session.scalar(select(func.count()).select_from(Response)) == 3


def test_add_wave_refuses_bad_input_and_changes_nothing(app, world, tmp_path):
    runner = app.test_cli_runner()
    (tmp_path / "instrument.csv").write_text(INSTRUMENT)
    runner.invoke(
        args=[
            "surveys",
            "import-instrument",
            "s-survey",
            str(tmp_path / "instrument.csv"),
            "--title",
            "S",
            "--partnership",
            world["x"].slug,
        ]
    )
    for args, reason in (
        (["--opens", "2014-13-01", "--closes", "2014-12-01"], "YYYY-MM-DD"),
        (["--opens", "2014-12-01", "--closes", "2014-11-01"], "on or after"),
    ):
        result = runner.invoke(args=["surveys", "add-wave", "s-survey", *args])
        assert result.exit_code != 0
        assert reason in result.output
        assert len(result.output.strip().splitlines()) == 1
    unknown = runner.invoke(
        args=[
            "surveys",
            "add-wave",
            "nope",
            "--opens",
            "2014-01-01",
            "--closes",
            "2014-01-02",
        ]
    )
    assert unknown.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Wave)) == 0


def test_send_due_command_sends_the_queue(app, invited_not_sent):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["surveys", "send-due"])
    assert result.exit_code == 0
    assert result.output.startswith("Sent 1,")
    assert len(outbox()) == 1
    assert runner.invoke(args=["surveys", "send-due"]).output.startswith("Sent 0,")


def test_send_due_runs_from_the_rq_job(app, invited_not_sent, monkeypatch):
    from surveys import worker

    monkeypatch.setattr(worker, "create_app", lambda: app)
    worker.send_due_job()
    assert len(outbox()) == 1
