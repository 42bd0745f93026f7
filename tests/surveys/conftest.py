"""A partnership survey on partnership X, with one open wave and a sampled person."""

from datetime import timedelta

import pytest

from portal.extensions import db
from surveys import fieldwork
from surveys import services
from tests.helpers import TODAY
from tests.helpers import build_survey
from tests.helpers import links_in_outbox


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
