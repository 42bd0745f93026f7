"""Each kind of guessing has its own limit: sign-ins per account and per address, survey
links and plan links per address (T08, T27)."""

import re
import secrets
from datetime import date

from limits.storage import MemoryStorage
from limits.storage import RedisStorage

from governance import plan_tokens
from portal.extensions import db
from portal.mail import outbox
from portal.throttling import limiter
from surveys import fieldwork
from tests.helpers import PASSWORD
from tests.helpers import TODAY
from tests.helpers import links_in_outbox

OFFICE = {"REMOTE_ADDR": "192.0.2.10"}


def _valid_links(w: dict) -> tuple[str, str]:
    """A survey link and a plan-update link, both for Xena, as emailed."""
    fieldwork.queue_invitations(w["wave"], TODAY)
    db.session.commit()
    fieldwork.send_due()
    ((_, survey_token),) = links_in_outbox()
    plan_tokens.queue_reminder(
        w["plan_strategy"], w["x_person"], since=date(2018, 4, 1), by=None
    )
    db.session.commit()
    plan_link = re.search(r"(/plans/link/[A-Za-z0-9_\-]+)", outbox()[0].body)
    assert plan_link
    return f"/s/{survey_token}", plan_link.group(1)


def test_mixed_failures_from_one_office_lock_out_nobody_else_t08_t27(
    app, programme_world
):
    """Issue 21: bad survey links, bad plan links and failed sign-ins on other accounts
    from one office address no longer add up to lock out the coordinator, the
    respondent or the action owner there."""
    survey_link, plan_link = _valid_links(programme_world)
    office = app.test_client()
    link_allowance = app.config["LINK_MAX_FAILURES"]
    for _ in range(link_allowance - 1):
        bad = office.get(f"/s/{secrets.token_urlsafe(32)}", environ_base=OFFICE)
        assert bad.status_code == 404
        bad = office.get(
            f"/plans/link/{secrets.token_urlsafe(32)}", environ_base=OFFICE
        )
        assert bad.status_code == 404
    for n in range(30):
        failed = office.post(
            "/auth/login",
            data={"email": f"colleague{n % 3}@example.org", "password": "wrong-one"},
            environ_base=OFFICE,
        )
        assert failed.status_code == 401
    coordinator = app.test_client()
    signed_in = coordinator.post(
        "/auth/login",
        data={"email": "coord-x@example.org", "password": PASSWORD},
        environ_base=OFFICE,
    )
    assert signed_in.status_code == 303
    respondent = app.test_client()
    assert respondent.get(survey_link, environ_base=OFFICE).status_code == 303
    owner = app.test_client()
    assert owner.get(plan_link, environ_base=OFFICE).status_code == 303


def test_link_guessing_still_trips_its_own_limit_t27(app, programme_world):
    """Past the allowance of bad survey links, the address gets a 429 for survey links
    (a valid one too: otherwise the 429 would tell a guesser which links are real),
    while sign-in and plan links from there are unaffected."""
    survey_link, plan_link = _valid_links(programme_world)
    office = app.test_client()
    for _ in range(app.config["LINK_MAX_FAILURES"]):
        office.get(f"/s/{secrets.token_urlsafe(32)}", environ_base=OFFICE)
    refused = office.get(survey_link, environ_base=OFFICE)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 60 * app.config["LINK_WINDOW_MINUTES"]
    assert office.get(plan_link, environ_base=OFFICE).status_code == 303
    signed_in = app.test_client().post(
        "/auth/login",
        data={"email": "coord-x@example.org", "password": PASSWORD},
        environ_base=OFFICE,
    )
    assert signed_in.status_code == 303


def test_redis_url_moves_the_counters_to_redis(build_app, tmp_path):
    """With PORTAL_REDIS_URL set, every worker shares the counters (T08)."""
    try:
        build_app(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
        assert isinstance(limiter.storage, RedisStorage)
    finally:
        # The limiter is one object; the next app binds it back to memory.
        build_app(tmp_path)
    assert isinstance(limiter.storage, MemoryStorage)
