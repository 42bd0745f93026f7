"""Helpers shared by test modules: sign-in, CSRF tokens and the common password; the
schema; the calendar of the governance tests and status changes on its days; survey
building and the links the outbox holds.

Test modules import helpers from here (or from the other modules beside it: one
concern each, named in their docstrings), never from one another or from a
``conftest.py``.
"""

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from sqlalchemy import select
from sqlalchemy import text

from governance import plans
from governance.models import ActionStatus
from portal.extensions import db
from portal.mail import outbox
from surveys import responding
from surveys import services
from surveys import services as survey_services
from surveys.models import Answer
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey
from surveys.models import SurveyMode

PASSWORD = "correct horse battery staple"


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``email`` without the login round trip.

    The credentials are still checked: the account must exist, be enabled and have
    this password. The sign-in flow itself is tested in ``tests/portal/test_auth.py``.
    """
    from portal.auth import services as auth_services
    from portal.extensions import db
    from portal.models import User

    account = db.session.scalar(select(User).where(User.email == email.lower()))
    assert account is not None and account.is_enabled, f"no enabled account {email}"
    assert auth_services._hasher.verify(account.password_hash, password)
    now = datetime.now(UTC).timestamp()
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = account.get_id()
        session["_fresh"] = True
        session["_id"] = identifier
        session.permanent = True
        session["signed_in_at"] = now
        session["last_seen"] = now


def login_through_form(
    client: FlaskClient, email: str, password: str = PASSWORD
) -> None:
    """Sign in by posting the real form."""
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text


def prefixed(prefix: str, fields: dict[str, str]) -> dict[str, str]:
    """A form's data under its WTForms prefix (inline edit rows keep ids unique so)."""
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    ) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def build_schema() -> None:
    """Drop whatever is there and create every table from the models.

    On PostgreSQL the whole schema goes, so a worker database left by another
    branch (tables or enum types the models no longer have) cannot get in the way;
    elsewhere the models' tables and a migration test's ``alembic_version`` go.
    """
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()


# The calendar: a 2015-18 plan, its year end, a January board, and today -----------

LAUNCH = datetime(2015, 10, 1, 10, tzinfo=UTC)
YEAR_END = date(2018, 3, 31)
JANUARY = date(2018, 1, 16)
TODAY = datetime.now(ZoneInfo("Europe/London")).date()


def at(day: date, hour: int = 12) -> datetime:
    """Noon (UTC) on ``day``: the moment a test change happens."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _start(action, day):
    plans.change_status(
        action,
        ActionStatus.IN_PROGRESS,
        opened_version=action.version,
        by=None,
        at=at(day),
    )


def _complete(action, day, *, recorded=None):
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=day,
        at=at(recorded or day),
    )


# Surveys and their links -------------------------------------------------------------

LINK = re.compile(r"http://[^/\s]+/s/([A-Za-z0-9_\-]+)")


def build_survey(partnership, *, slug="x-survey", mode=SurveyMode.IDENTIFIED) -> Survey:
    """Two sections: likert and single choice; then text, multi and number."""
    survey = Survey(
        slug=slug, title="X partner survey", partnership=partnership, mode=mode
    )
    db.session.add(survey)
    first = services.add_section(
        survey, title="Working together", preamble="To what extent do you agree?"
    )
    services.add_item(
        first,
        code="clear_vision",
        text="The partnership has a clear vision",
        item_type=ItemType.LIKERT,
        scale="agree5",
        required=True,
    )
    services.add_item(
        first,
        code="profile_role",
        text="What is your organisation's role?",
        item_type=ItemType.SINGLE,
        options=["Lead organisation", "Partner organisation"],
    )
    second = services.add_section(survey, title="About you")
    services.add_item(
        second, code="comments", text="Anything else?", item_type=ItemType.TEXT
    )
    services.add_item(
        second,
        code="sectors",
        text="Which sectors do you work with?",
        item_type=ItemType.MULTI,
        options=["Health", "Justice", "Housing"],
    )
    services.add_item(
        second, code="staff", text="How many staff?", item_type=ItemType.NUMBER
    )
    return survey


def add_waves(survey, partnership, answers_by_wave, code="clear_vision", other=None):
    """Waves of ``survey`` whose responses answer ``code`` with the given likert points.

    ``answers_by_wave`` is one string of points per wave ("2234" = four
    responses); ``other`` = (partnership, points by wave) adds responses from
    another partnership of a programme survey.
    """
    item = next(item for item in survey.items if item.code == code)
    waves = []
    for number, points in enumerate(answers_by_wave):
        opens = date(2016 + number, 1, 11)
        wave = survey_services.add_wave(
            survey, opens_on=opens, closes_on=opens + timedelta(days=25)
        )
        db.session.flush()
        groups = [(partnership, points)]
        if other is not None:
            groups.append((other[0], other[1][number]))
        for who, answers in groups:
            for point in answers:
                db.session.add(
                    Response(
                        wave_id=wave.id,
                        partnership_id=who.id,
                        submitted_on=opens,
                        answers=[Answer(item_id=item.id, value=point)],
                    )
                )
        waves.append(wave)
    db.session.flush()
    return item, waves


def links_in_outbox() -> list[tuple[str, str]]:
    """(recipient, token) for every survey link in the outbox, oldest first."""
    found = []
    for entry in reversed(outbox()):
        match = LINK.search(entry.body)
        if match:
            found.append((entry.to, match.group(1)))
    return found


# Anonymous waves -----------------------------------------------------------------

#: The anonymous survey of the ``anon_world`` fixture.
ANON_SLUG = "anon-x"


def submit_answers(w, invitation, likert: str, comment: str) -> None:
    """Answer and submit one invitation, as the respondent's pages do."""
    responding.save_answer(invitation, w["items"]["clear_vision"], likert, TODAY)
    responding.save_answer(invitation, w["items"]["comments"], comment, TODAY)
    responding.submit(invitation, TODAY)
    db.session.commit()


def submit_others(w, count: int) -> None:
    """The next ``count`` of the other people submit ordinary answers."""
    waiting = [inv for inv in w["others"] if not inv.completed][:count]
    assert len(waiting) == count
    for invitation in waiting:
        submit_answers(w, invitation, "2", f"Ordinary view {invitation.id}")
