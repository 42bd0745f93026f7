"""Answering from a link: land, autosave, resume, check, submit once, closed waves.

Also the token and anonymity tests of the security plan (T26-T30).
"""

import hashlib
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.mail import outbox
from surveys import fieldwork
from surveys import responding
from surveys.models import Answer
from surveys.models import DraftAnswer
from surveys.models import Invitation
from surveys.models import InvitationToken
from surveys.models import Item
from surveys.models import Response
from surveys.models import ResponseOwner
from surveys.models import SurveyMode
from surveys.models import WaveOverride
from tests.helpers import TODAY
from tests.helpers import build_survey
from tests.helpers import links_in_outbox
from tests.helpers import login


def _items(survey):
    return {item.code: item for item in survey.items}


def _answer_first_page(client, survey, **extra):
    items = _items(survey)
    data = {
        f"item-{items['clear_vision'].id}": "2",
        f"item-{items['profile_role'].id}": "Partner organisation",
        **extra,
    }
    return client.post("/respond/1", data=data)


# Landing --------------------------------------------------------------------------


def test_link_lands_on_a_token_free_address(invited, client):
    response = client.get(f"/s/{invited['token']}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/respond"
    assert invited["token"] not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/respond").headers["Location"] == "/respond/1"
    page = client.get("/respond/1")
    assert page.status_code == 200
    assert "Section 1 of 2" in page.text
    assert invited["token"] not in page.text


_CSRF = re.compile(r'(csrf_token" value="|X-CSRFToken": ")[^"]+')


def test_bad_links_all_look_the_same(invited, client, app):
    wave = invited["wave"]
    never_issued = client.get(f"/s/{secrets.token_urlsafe(32)}")
    too_short = client.get("/s/abc")
    # Revoke a real link: a withdrawn person's link fails the same way.
    fieldwork.withdraw(wave.invitations[0])
    db.session.commit()
    revoked = client.get(f"/s/{invited['token']}")
    # The CSRF token is signed with a timestamp, so it changes from second to second
    # whatever the link; everything else on the page must be identical.
    bodies = {_CSRF.sub(r"\1", r.text) for r in (never_issued, too_short, revoked)}
    assert {never_issued.status_code, too_short.status_code, revoked.status_code} == {
        404
    }
    assert len(bodies) == 1
    assert "This link is not valid" in never_issued.text


def test_link_guessing_is_throttled_per_address(invited, app):
    guesser = app.test_client()
    limit = app.config["LINK_MAX_FAILURES"]
    for _ in range(limit):
        assert guesser.get(f"/s/{secrets.token_urlsafe(32)}").status_code == 404
    assert guesser.get(f"/s/{secrets.token_urlsafe(32)}").status_code == 429
    # The real respondent, from another address, is not blocked.
    other = app.test_client()
    response = other.get(
        f"/s/{invited['token']}", environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert response.status_code == 303


def test_tokens_are_long_random_and_stored_hashed(invited):
    token = invited["token"]
    assert len(token) >= 43
    stored = db.session.scalars(select(InvitationToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    tokens = {secrets.token_urlsafe(32) for _ in range(2)}
    assert len(tokens) == 2


def test_raw_token_is_nowhere_in_the_database(invited):
    token = invited["token"]
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            assert token not in " ".join(str(value) for value in row)


def test_wave_one_link_does_not_open_wave_two(invited, client):
    survey = invited["survey"]
    from surveys import services

    wave2 = services.add_wave(survey, opens_on=TODAY, closes_on=TODAY)
    db.session.flush()
    fieldwork.add_person(wave2, invited["x_person"])
    invited["wave"].override = WaveOverride.CLOSED
    db.session.commit()
    client.get(f"/s/{invited['token']}")
    page = client.get("/respond")
    assert page.status_code == 409
    assert "Wave 1" in page.text and "closed" in page.text


def test_survey_link_is_not_a_login(invited, client):
    client.get(f"/s/{invited['token']}")
    assert client.get("/partnerships").status_code == 302
    assert client.get(f"/surveys/{invited['survey'].slug}").status_code == 302


# Answering ------------------------------------------------------------------------


def test_answers_save_as_given_and_resume_later(invited, app):
    survey = invited["survey"]
    items = _items(survey)
    first_browser = app.test_client()
    first_browser.get(f"/s/{invited['token']}")
    saved = first_browser.post(
        "/respond/1/autosave",
        data={
            "item": items["clear_vision"].id,
            f"item-{items['clear_vision'].id}": "4",
        },
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert "Saved" in saved.text
    invitation = db.session.scalar(select(Invitation))
    assert invitation.started
    # The browser is closed; a new one opens the same link and finds the answer.
    second_browser = app.test_client()
    second_browser.get(f"/s/{invited['token']}")
    page = second_browser.get("/respond/1")
    assert re.search(r'value="4" checked', page.text)


def test_page_submit_without_javascript_saves_and_moves_on(invited, client):
    client.get(f"/s/{invited['token']}")
    response = _answer_first_page(client, invited["survey"])
    assert response.status_code == 303
    assert response.headers["Location"] == "/respond/2"
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 2
    # Returning resumes on the next section; after the last, on the check page.
    assert client.get("/respond").headers["Location"] == "/respond/2"
    client.post("/respond/2", data={})
    assert client.get("/respond").headers["Location"] == "/respond/check"


def test_required_question_is_named_in_an_error_summary(invited, client):
    client.get(f"/s/{invited['token']}")
    items = _items(invited["survey"])
    response = client.post(
        "/respond/1", data={f"item-{items['profile_role'].id}": "Partner organisation"}
    )
    assert response.status_code == 422
    assert "govuk-error-summary" in response.text
    assert f'href="#item-{items["clear_vision"].id}"' in response.text
    # The valid answer on the page was kept.
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 1


def test_save_and_come_back_later_skips_required_check(invited, client):
    client.get(f"/s/{invited['token']}")
    response = client.post("/respond/1", data={"later": "yes"})
    assert response.headers["Location"] == "/respond/saved"
    assert "Your answers are saved" in client.get("/respond/saved").text


def test_invalid_answers_are_refused_on_every_path(invited, client):
    survey = invited["survey"]
    items = _items(survey)
    client.get(f"/s/{invited['token']}")
    bad_choice = client.post(
        "/respond/1/autosave",
        data={
            "item": items["profile_role"].id,
            f"item-{items['profile_role'].id}": "Boss",
        },
    )
    assert bad_choice.status_code == 422
    bad_number = client.post(
        "/respond/2/autosave",
        data={"item": items["staff"].id, f"item-{items['staff'].id}": "lots"},
    )
    assert bad_number.status_code == 422
    too_long = client.post(
        "/respond/2",
        data={f"item-{items['comments'].id}": "x" * 20000},
    )
    assert too_long.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 0


def test_another_surveys_item_is_404(invited, client, world):
    other = build_survey(world["y"], slug="y-survey")
    db.session.commit()
    foreign = other.items[0]
    client.get(f"/s/{invited['token']}")
    response = client.post(
        "/respond/1/autosave", data={"item": foreign.id, f"item-{foreign.id}": "1"}
    )
    assert response.status_code == 404


def test_check_answers_then_submit_makes_one_response(invited, client):
    survey = invited["survey"]
    items = _items(survey)
    client.get(f"/s/{invited['token']}")
    _answer_first_page(client, survey)
    client.post(
        "/respond/2",
        data={
            f"item-{items['comments'].id}": "Good partnership",
            f"item-{items['sectors'].id}": ["Housing", "Health"],
            f"item-{items['staff'].id}": "12",
        },
    )
    check = client.get("/respond/check")
    assert "Check your answers" in check.text
    assert "Agree" in check.text
    assert "Health and Housing" in check.text
    response = client.post("/respond/submit", data={"receipt": "yes"})
    assert response.headers["Location"] == "/respond/done"
    assert "Answers submitted" in client.get("/respond/done").text
    # A double click, a second tab or the back button: still one response.
    again = client.post("/respond/submit")
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    answers = {
        answer.item.code: answer.value for answer in db.session.scalars(select(Answer))
    }
    assert answers == {
        "clear_vision": "2",
        "profile_role": "Partner organisation",
        "comments": "Good partnership",
        "sectors": "Health|Housing",
        "staff": "12",
    }
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 0
    fieldwork.send_due()
    receipts = [entry for entry in outbox() if entry.subject.startswith("We have")]
    assert len(receipts) == 1
    assert "/s/" not in receipts[0].body


def test_submit_without_required_answers_lists_them(invited, client):
    client.get(f"/s/{invited['token']}")
    response = client.post("/respond/submit")
    assert response.status_code == 422
    assert "The partnership has a clear vision" in response.text
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert not db.session.scalar(select(Invitation)).completed


def test_after_submit_the_link_accepts_nothing(invited, client):
    items = _items(invited["survey"])
    client.get(f"/s/{invited['token']}")
    _answer_first_page(client, invited["survey"])
    client.post("/respond/submit")
    # Opening the link again shows a clear message.
    client.get(f"/s/{invited['token']}")
    page = client.get("/respond")
    assert "already submitted" in page.text
    autosave = client.post(
        "/respond/1/autosave",
        data={
            "item": items["clear_vision"].id,
            f"item-{items['clear_vision'].id}": "5",
        },
    )
    assert autosave.status_code == 409
    client.post("/respond/1", data={f"item-{items['clear_vision'].id}": "5"})
    assert (
        db.session.scalar(
            select(Answer.value).where(Answer.item_id == items["clear_vision"].id)
        )
        == "2"
    )


def test_racing_submits_make_one_response(invited, monkeypatch):
    invitation = db.session.scalar(select(Invitation))
    item = _items(invited["survey"])["clear_vision"]
    responding.save_answer(invitation, item, "1", TODAY)
    db.session.commit()
    read_by_second = responding.drafts(invitation)
    first = responding.submit(invitation, TODAY)
    db.session.commit()
    # A second request read the invitation and its answers before the first
    # committed: only the conditional UPDATE stands between it and a copy.
    stale = db.session.get(Invitation, invitation.id)
    set_committed_value(stale, "completed", False)
    monkeypatch.setattr(responding, "drafts", lambda _: read_by_second)
    second = responding.submit(stale, TODAY)
    db.session.commit()
    assert first.submitted_now and not second.submitted_now
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_closed_wave_refuses_every_write(invited, client):
    items = _items(invited["survey"])
    client.get(f"/s/{invited['token']}")
    _answer_first_page(client, invited["survey"])
    wave = invited["wave"]
    wave.closes_on = TODAY - timedelta(days=1)
    wave.opens_on = TODAY - timedelta(days=10)
    db.session.commit()
    page = client.get("/respond/1")
    assert page.status_code == 409
    assert "This survey is closed" in page.text
    autosave = client.post(
        "/respond/1/autosave",
        data={
            "item": items["clear_vision"].id,
            f"item-{items['clear_vision'].id}": "5",
        },
    )
    assert autosave.status_code == 409
    client.post("/respond/submit")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_csrf_token_does_not_expire_during_a_long_survey(app):
    # Flask-WTF checks a token's age only when a time limit is set.
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_signed_in_person_answers_their_own_invitation(invited, client, make_user):
    xena_user = make_user("xena-account@example.org")
    xena_user.person = invited["x_person"]
    db.session.commit()
    login(client, "xena-account@example.org")
    page = client.get("/my-surveys")
    assert "X partner survey" in page.text
    invitation = db.session.scalar(select(Invitation))
    response = client.post(f"/my-surveys/{invitation.id}")
    assert response.headers["Location"] == "/respond"


def test_nobody_else_can_start_someone_elses_invitation(invited, client):
    login(client, "coord-x@example.org")
    invitation = db.session.scalar(select(Invitation))
    assert client.post(f"/my-surveys/{invitation.id}").status_code == 404


# Anonymity (T30, T31) -------------------------------------------------------------


def test_anonymous_response_has_no_link_to_the_person(world, client):
    survey = build_survey(world["x"], slug="anon", mode=SurveyMode.ANONYMOUS)
    db.session.flush()
    from surveys import services

    wave = services.add_wave(survey, opens_on=TODAY, closes_on=TODAY)
    db.session.flush()
    fieldwork.add_person(wave, world["x_person"])
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    ((_, token),) = links_in_outbox()
    client.get(f"/s/{token}")
    page = client.get("/respond/1")
    assert token not in page.text
    _answer_first_page(client, survey)
    client.post("/respond/submit")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(func.count()).select_from(ResponseOwner)) == 0
    response = db.session.scalar(select(Response))
    assert re.fullmatch(r"[0-9a-f]{32}", response.id)
    assert response.submitted_on == TODAY


def test_response_tables_have_no_linking_columns(app):
    inspector = inspect(db.engine)
    linking = {"invitation_id", "person_id", "user_id", "token", "ip", "user_agent"}
    for table in ("survey_response", "survey_answer"):
        columns = {column["name"] for column in inspector.get_columns(table)}
        assert not columns & linking, table
        assert not any("time" in name or name.endswith("_at") for name in columns)
    invitation_columns = {
        column["name"] for column in inspector.get_columns("survey_invitation")
    }
    assert not any(name.endswith("_at") for name in invitation_columns)


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
def test_submission_order_cannot_be_read_from_keys(world, make_person, order):
    survey = build_survey(world["x"], slug="anon-order", mode=SurveyMode.ANONYMOUS)
    db.session.flush()
    from surveys import services

    wave = services.add_wave(survey, opens_on=TODAY, closes_on=TODAY)
    db.session.flush()
    people = [
        make_person(f"Person {n}", f"person{n}@example.org", world["x_partner"])
        for n in range(5)
    ]
    invitations = [fieldwork.add_person(wave, person) for person in people]
    db.session.commit()
    item = _items(survey)["clear_vision"]
    for index in order:
        responding.save_answer(invitations[index], item, str(index + 1), TODAY)
        responding.submit(invitations[index], TODAY)
        db.session.commit()
    by_key = [
        answer.value
        for answer in db.session.scalars(
            select(Answer).join(Response).order_by(Response.id)
        )
    ]
    by_submission = [str(index + 1) for index in order]
    # Ordering by key gives the same sequence whatever the submission order was
    # only by chance; what matters is that keys carry no sequence.
    assert sorted(by_key) == sorted(by_submission)
    ids = db.session.scalars(select(Response.id)).all()
    assert all(len(key) == 32 for key in ids)
    assert len({key[:8] for key in ids}) == 5


def test_item_scope_in_saves(invited):
    invitation = db.session.scalar(select(Invitation))
    assert responding.item_of(invitation, 999999) is None
    assert (
        responding.item_of(invitation, db.session.scalar(select(Item.id))) is not None
    )


def test_home_page_lists_surveys_to_answer(invited, client, make_user):
    account = make_user("xena-home@example.org")
    account.person = invited["x_person"]
    db.session.commit()
    login(client, "xena-home@example.org")
    assert "You have 1 survey to answer" in client.get("/").text
    invited["wave"].override = WaveOverride.CLOSED
    db.session.commit()
    assert "Surveys to answer" not in client.get("/").text


def test_access_log_redacts_survey_tokens(invited, client, caplog):
    import logging

    from surveys.respond_views import _RedactSurveyLinks

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - "%s" %s -',
        (f"GET /s/{invited['token']} HTTP/1.1", "303"),
        None,
    )
    assert _RedactSurveyLinks().filter(record)
    assert invited["token"] not in record.getMessage()
    assert "/s/[redacted]" in record.getMessage()
