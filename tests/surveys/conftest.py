"""A partnership survey on partnership X, with one open wave and a sampled person."""

import re
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from portal.mail import outbox
from surveys import fieldwork
from surveys import services
from surveys.models import ItemType
from surveys.models import Survey
from surveys.models import SurveyMode

TODAY = datetime.now(ZoneInfo("Europe/London")).date()
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


def links_in_outbox() -> list[tuple[str, str]]:
    """(recipient, token) for every survey link in the outbox, oldest first."""
    found = []
    for entry in reversed(outbox()):
        match = LINK.search(entry.body)
        if match:
            found.append((entry.to, match.group(1)))
    return found


@pytest.fixture
def survey_world(world):
    """World X with a survey, wave 1 open today, Xena sampled and invited."""
    survey = build_survey(world["x"])
    db.session.flush()
    wave = services.add_wave(
        survey,
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=14),
    )
    db.session.flush()
    fieldwork.add_person(wave, world["x_person"])
    db.session.commit()
    return {**world, "survey": survey, "wave": wave}


@pytest.fixture
def invited(survey_world):
    """Send Xena's invitation; return the world with her raw token."""
    wave = survey_world["wave"]
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    ((_, token),) = links_in_outbox()
    return {**survey_world, "token": token}
