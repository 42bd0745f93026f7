"""Who may see and run a survey: other partnerships, programmes, and reads that write.

The survey's route x role matrix is ``survey_matrix`` in ``tests/access_matrices.py``,
run by ``tests/portal/test_access.py``.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.directory import services as directory_services
from portal.extensions import db
from surveys import fieldwork
from surveys import services
from surveys.models import Invitation
from surveys.models import Item
from surveys.models import ItemType
from surveys.models import OutgoingMessage
from surveys.models import Survey
from tests.access_matrices import EMAILS
from tests.access_matrices import add_matrix_survey
from tests.helpers import TODAY
from tests.helpers import login

# Another partnership's survey ----------------------------------------------------------


@pytest.fixture
def matrix_world(world):
    """World X and Y with X's survey (one item, one open wave, Xena sampled)."""
    return add_matrix_survey(world)


def _x_urls(w: dict) -> list[str]:
    base = f"/surveys/{w['survey'].slug}"
    wave = f"{base}/waves/1"
    return [
        base,
        f"{base}/questionnaire",
        f"{base}/questionnaire.csv",
        f"{base}/items/{w['item'].id}",
        f"{base}/items/{w['item'].id}/edit",
        f"{base}/sections/{w['section'].id}/edit",
        f"{base}/sections/{w['section'].id}/items",
        f"{base}/messages/invitation",
        f"{base}/waves/new",
        wave,
        f"{wave}/edit",
        f"{wave}/rates",
        f"{wave}/rates?by=sector",
        f"{wave}/responses.csv",
        f"{wave}/responses.xlsx",
        f"{wave}/import",
        f"{base}/results",
        f"{base}/results/report.csv",
        f"{base}/results/report.xlsx",
        f"{base}/results/charts/clear_vision.svg",
        f"{base}/results/charts/clear_vision.png",
    ]


@pytest.mark.parametrize("email", ["coord-y@example.org", "contact-x@example.org"])
def test_hidden_survey_is_404_on_every_page_fragment_and_export(
    client, matrix_world, email
):
    login(client, email)
    for url in _x_urls(matrix_world):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (url, headers)
            assert "X matrix survey" not in response.text
            assert "clear vision" not in response.text.lower()
    # A 404 for an htmx request is a fragment, not a page.
    fragment = client.get(
        "/surveys/x-matrix/waves/1/rates", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text


def test_other_partnership_gets_the_same_404_as_a_missing_survey(client, matrix_world):
    login(client, "coord-y@example.org")
    hidden = client.get("/surveys/x-matrix")
    missing = client.get("/surveys/no-such-survey")
    assert hidden.status_code == missing.status_code == 404

    def page(response) -> str:
        # The CSRF token is signed with the time, and script nonces change per page.
        return re.sub(
            r'(csrf_token\(\)|CSRFToken": |value=|nonce=)"[^"]*"', "", response.text
        )

    assert page(hidden) == page(missing)


def test_other_partnership_cannot_change_the_survey(client, matrix_world):
    w = matrix_world
    login(client, "coord-y@example.org")
    base = "/surveys/x-matrix"
    item, section, invitation = w["item"].id, w["section"].id, w["invitation"].id
    posts = {
        f"{base}/items/{item}/edit": {"text": "Hijacked", "version": "1"},
        f"{base}/items/{item}/move": {"direction": "up"},
        f"{base}/items/{item}/delete": {},
        f"{base}/sections": {"title": "Hijacked"},
        f"{base}/sections/{section}/edit": {"title": "Hijacked"},
        f"{base}/sections/{section}/items": {
            "code": "hijack",
            "type": "text",
            "text": "Hijacked?",
        },
        f"{base}/messages/invitation": {
            "subject": "Hijacked",
            "body": "{link}",
            "version": "1",
        },
        f"{base}/waves/new": {
            "opens_on": ["1", "1", "2031"],
            "closes_on": ["2", "1", "2031"],
        },
        f"{base}/waves/1/state": {"state": "closed"},
        f"{base}/waves/1/sample": {"max_per_organisation": "3"},
        f"{base}/waves/1/sample/person": {"person": str(w["y_person"].id)},
        f"{base}/waves/1/sample/carry-forward": {},
        f"{base}/waves/1/sample/{invitation}/withdraw": {},
        f"{base}/waves/1/invite": {},
        f"{base}/waves/1/remind": {},
        f"{base}/waves/1/import": {},
        f"{base}/waves/1/import/confirm": {"content": "respondent_id,clear_vision\n"},
    }
    for url, data in posts.items():
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 404, url
    db.session.expire_all()
    item_row = db.session.get(Item, item)
    assert (
        item_row is not None and item_row.text == "The partnership has a clear vision"
    )
    assert db.session.get(Invitation, invitation).withdrawn is False
    assert db.session.scalar(select(func.count(OutgoingMessage.id))) == 0
    assert len(db.session.get(Survey, w["survey"].id).waves) == 1


def test_ids_from_another_survey_are_404(client, matrix_world):
    """Y's coordinator's own survey cannot reach X's items, sections or invitations."""
    w = matrix_world
    y_survey = Survey(slug="y-survey", title="Y survey", partnership=w["y"])
    db.session.add(y_survey)
    y_section = services.add_section(y_survey, title="Y section")
    services.add_item(y_section, code="note", text="Anything?", item_type=ItemType.TEXT)
    db.session.flush()
    services.add_wave(y_survey, opens_on=TODAY, closes_on=TODAY + timedelta(days=3))
    db.session.commit()
    login(client, "coord-y@example.org")
    assert client.get("/surveys/y-survey").status_code == 200
    base = "/surveys/y-survey"
    for url in (
        f"{base}/items/{w['item'].id}",
        f"{base}/items/{w['item'].id}/edit",
        f"{base}/sections/{w['section'].id}/edit",
        f"{base}/sections/{w['section'].id}/items",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"{base}/waves/1/sample/{w['invitation'].id}/withdraw").status_code
        == 404
    )
    assert (
        client.post(
            f"{base}/waves/1/remind", data={"invitation": str(w["invitation"].id)}
        ).status_code
        == 404
    )
    # X's person cannot be drawn into Y's sample by id.
    assert (
        client.post(
            f"{base}/waves/1/sample/person", data={"person": str(w["x_person"].id)}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(Invitation, w["invitation"].id).withdrawn is False


def test_survey_lists_show_only_visible_surveys(client, matrix_world):
    login(client, "coord-y@example.org")
    assert "X matrix survey" not in client.get("/surveys").text
    client.post("/auth/logout")
    login(client, "contact-x@example.org")
    page = client.get("/surveys").text
    assert "X matrix survey" not in page and "Create a survey" not in page
    client.post("/auth/logout")
    login(client, "board-x@example.org")
    page = client.get("/surveys").text
    assert "X matrix survey" in page and "Create a survey" not in page


def test_removed_coordinator_loses_the_survey_on_next_request(client, matrix_world):
    login(client, "coord-x@example.org")
    assert client.get("/surveys/x-matrix/waves/1").status_code == 200
    for membership in list(matrix_world["x"].memberships):
        if membership.person.email == "coord-x@example.org":
            db.session.delete(membership)
    db.session.commit()
    assert client.get("/surveys/x-matrix/waves/1").status_code == 404
    assert client.get("/surveys/x-matrix/waves/1/responses.csv").status_code == 404


# A programme-wide survey ----------------------------------------------------------------


@pytest.fixture
def programme_survey(world):
    """A survey of every partnership in programme P (X only; Y is outside it)."""
    programme = directory_services.create_programme(slug="prog-p", name="Programme P")
    world["x"].programme = programme
    survey = Survey(slug="p-survey", title="Programme survey", programme=programme)
    db.session.add(survey)
    section = services.add_section(survey, title="Working together")
    item = services.add_item(
        section,
        code="clear_vision",
        text="The partnership has a clear vision",
        item_type=ItemType.LIKERT,
        scale="agree5",
    )
    db.session.flush()
    wave = services.add_wave(
        survey, opens_on=TODAY, closes_on=TODAY + timedelta(days=7)
    )
    db.session.flush()
    invitation = fieldwork.add_person(wave, world["x_person"])
    db.session.commit()
    return {**world, "survey": survey, "item": item, "invitation": invitation}


def _programme_urls(w: dict) -> tuple[list[str], list[str], list[str]]:
    """(questionnaire-level pages, respondent-level pages, pages that run it)."""
    base = "/surveys/p-survey"
    wave = f"{base}/waves/1"
    readable = [base, f"{base}/questionnaire", f"{base}/questionnaire.csv"]
    respondents = [
        wave,
        f"{wave}/rates",
        f"{wave}/responses.csv",
        f"{wave}/responses.xlsx",
        f"{base}/results",
        f"{base}/results/report.csv",
        f"{base}/results/charts/clear_vision.svg",
    ]
    running = [
        f"{base}/items/{w['item'].id}/edit",
        f"{base}/messages/invitation",
        f"{base}/waves/new",
        f"{wave}/edit",
        f"{wave}/import",
    ]
    return readable, respondents, running


@pytest.mark.parametrize(
    ("role", "readable", "respondents", "running"),
    [
        ("admin", 200, 200, 200),
        ("x_coordinator", 200, 403, 403),
        ("x_board", 200, 403, 403),
        ("x_contact", 404, 404, 404),
        ("y_coordinator", 404, 404, 404),
    ],
)
def test_programme_survey_respondent_pages_are_admin_only(
    client, programme_survey, role, readable, respondents, running
):
    login(client, EMAILS[role])
    pages, people, runs = _programme_urls(programme_survey)
    for urls, want in ((pages, readable), (people, respondents), (runs, running)):
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                assert client.get(url, headers=headers).status_code == want, (url, role)
    invitation = programme_survey["invitation"].id
    withdraw = client.post(f"/surveys/p-survey/waves/1/sample/{invitation}/withdraw")
    assert withdraw.status_code == (303 if role == "admin" else running)


def test_programme_survey_page_hides_rates_from_partnership_members(
    client, programme_survey
):
    login(client, "coord-x@example.org")
    page = client.get("/surveys/p-survey").text
    assert "Programme survey" in page
    assert "Response rate" not in page and "Invited" not in page
    assert 'href="/surveys/p-survey/waves/1"' not in page
    assert "Add a wave" not in page
    client.post("/auth/logout")
    login(client, "admin@example.org")
    page = client.get("/surveys/p-survey").text
    assert "Response rate" in page and 'href="/surveys/p-survey/waves/1"' in page


# Reading never writes ------------------------------------------------------------------


def test_survey_get_requests_do_not_write(client, matrix_world):
    login(client, "coord-x@example.org")
    writes: list[object] = []

    def on_flush(session, context, instances):
        writes.extend(session.dirty | session.new | session.deleted)

    urls = [
        *_x_urls(matrix_world),
        "/surveys",
        "/surveys/new",
        "/surveys/x-matrix/messages/reminder",
        "/surveys/x-matrix/messages/receipt",
        "/my-surveys",
    ]
    event.listen(Session, "before_flush", on_flush)
    try:
        for url in urls:
            assert client.get(url).status_code == 200, url
    finally:
        event.remove(Session, "before_flush", on_flush)
    assert writes == []
