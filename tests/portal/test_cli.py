"""The command-line contract: one-line reasons, non-zero exits, nothing changed on failure."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation
from portal.models import Partnership
from portal.models import Person
from portal.models import Programme
from portal.models import User


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        result = runner.invoke(args=list(args), **kwargs)
        db.session.expire_all()
        return result

    return invoke


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_directory_commands(cli):
    assert (
        cli(
            "programmes", "create", "rrcf", "--name", "Reducing Reoffending Change Fund"
        ).exit_code
        == 0
    )
    result = cli(
        "partnerships",
        "create",
        "tca",
        "--name",
        "Tayside",
        "--programme",
        "rrcf",
        "--scope",
        "local",
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "organisations",
        "create",
        "Tayside Council on Alcohol",
        "--sector",
        "third",
        "--partnership",
        "tca",
        "--role",
        "lead",
    )
    assert result.exit_code == 0, result.output
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.slug == "tca")
    )
    assert partnership.programme.slug == "rrcf"
    assert partnership.participations[0].role.value == "lead"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("programmes", "create", "Bad Slug", "--name", "X"), "not a valid slug"),
        (
            ("partnerships", "create", "p", "--name", "P", "--programme", "nope"),
            "no programme 'nope'",
        ),
        (
            (
                "organisations",
                "create",
                "O",
                "--sector",
                "third",
                "--partnership",
                "nope",
            ),
            "no partnership 'nope'",
        ),
        (("organisations", "create", "O", "--sector", "charity"), "Invalid value"),
        (
            ("organisations", "create", "O", "--sector", "third", "--role", "lead"),
            "--role needs --partnership",
        ),
    ],
)
def test_bad_input_exits_non_zero_and_changes_nothing(cli, args, reason):
    result = cli(*args)
    assert result.exit_code != 0
    assert reason in result.output
    assert _count(Programme) == _count(Partnership) == _count(Organisation) == 0


def test_duplicates_are_refused(cli):
    cli("programmes", "create", "rrcf", "--name", "R")
    result = cli("programmes", "create", "rrcf", "--name", "R again")
    assert result.exit_code == 1 and "already exists" in result.output


def test_people_import_all_or_nothing(cli, tmp_path):
    cli("partnerships", "create", "tca", "--name", "Tayside")
    cli(
        "organisations",
        "create",
        "TCA",
        "--sector",
        "third",
        "--partnership",
        "tca",
        "--role",
        "lead",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        "name,email,job_title,organisation,partnership,role\n"
        "Ann,ann@example.org,Officer,TCA,tca,coordinator\n"
        "Bob,bob@example.org,,tca,,\n"
    )
    result = cli("people", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "Imported 2 people" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,email,job_title,organisation,partnership,role\n"
        "Cat,cat@example.org,,TCA,,\n"
        "Dan,not-an-email,,Unknown Org,,\n"
    )
    result = cli("people", "import", str(bad))
    assert result.exit_code == 1
    assert "Row 3" in result.output and "nothing imported" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _count(Person) == 2


def test_people_import_missing_file(cli, tmp_path):
    result = cli("people", "import", str(tmp_path / "missing.csv"))
    assert result.exit_code != 0 and "no such file" in result.output


def test_users_create_admin(cli, monkeypatch):
    monkeypatch.setenv("PORTAL_PASSWORD", "a long admin passphrase")
    result = cli("users", "create", "Boss@Example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(User))
    assert account.email == "boss@example.org" and account.is_admin
    again = cli("users", "create", "boss@example.org", "--role", "admin")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_create_weak_password(cli, monkeypatch):
    monkeypatch.setenv("PORTAL_PASSWORD", "short")
    result = cli("users", "create", "x@example.org", "--role", "admin")
    assert result.exit_code == 1 and "characters or more" in result.output
    assert _count(User) == 0


def test_users_create_prompts_without_env(cli, monkeypatch):
    monkeypatch.delenv("PORTAL_PASSWORD", raising=False)
    result = cli(
        "users",
        "create",
        "p@example.org",
        "--role",
        "admin",
        input="prompted passphrase\nprompted passphrase\n",
    )
    assert result.exit_code == 0, result.output
