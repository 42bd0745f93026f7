"""Who may see and run a survey: the route x role matrix, other partnerships, programmes.

``add_matrix_survey`` and ``survey_matrix`` feed ``tests/portal/test_access.py``,
whose test fails on any endpoint nobody has classified.
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
from surveys.models import SurveyMode
from tests.helpers import login
from tests.surveys.conftest import TODAY

ROLES = ["anonymous", "x_contact", "x_board", "x_coordinator", "y_coordinator", "admin"]
EMAILS = {
    "x_contact": "contact-x@example.org",
    "x_board": "board-x@example.org",
    "x_coordinator": "coord-x@example.org",
    "y_coordinator": "coord-y@example.org",
    "admin": "admin@example.org",
}


def add_matrix_survey(world: dict) -> dict:
    """A survey on X with one section, one item, one open wave and one invitation."""
    survey = Survey(
        slug="x-matrix",
        title="X matrix survey",
        partnership=world["x"],
        mode=SurveyMode.IDENTIFIED,
    )
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
        survey, opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=14)
    )
    db.session.flush()
    invitation = fieldwork.add_person(wave, world["x_person"])
    db.session.commit()
    return {
        **world,
        "survey": survey,
        "section": section,
        "item": item,
        "wave": wave,
        "invitation": invitation,
    }


def survey_matrix(w: dict) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint -> (method, url, {role: status}) for surveys.* and respond.*.

    Partner contacts cannot see a survey at all (404, as for another partnership's);
    board members read it (403 on anything that runs it). A POST sends an empty
    form; changes come last so they do not disturb the cells above.
    """
    base = f"/surveys/{w['survey'].slug}"
    section, item = w["section"].id, w["item"].id
    wave = f"{base}/waves/{w['wave'].number}"
    invitation = w["invitation"].id
    signed_in = ROLES[1:]
    ok_all = dict.fromkeys(signed_in, 200)
    read = {
        "x_contact": 404,
        "x_board": 200,
        "x_coordinator": 200,
        "y_coordinator": 404,
        "admin": 200,
    }

    def run(status: int) -> dict[str, int]:
        return {**read, "x_board": 403, "x_coordinator": status, "admin": status}

    coordinators = {**ok_all, "x_contact": 403, "x_board": 403}
    nobody = dict.fromkeys(ROLES, 404)  # respondent pages without a respondent session
    return {
        "surveys.index": ("GET", "/surveys", ok_all),
        "surveys.create": ("GET", "/surveys/new", coordinators),
        "surveys.survey": ("GET", base, read),
        "surveys.questionnaire": ("GET", f"{base}/questionnaire", read),
        "surveys.export_instrument": ("GET", f"{base}/questionnaire.csv", read),
        "surveys.item_row": ("GET", f"{base}/items/{item}", read),
        "surveys.edit_section": ("GET", f"{base}/sections/{section}/edit", run(200)),
        "surveys.add_item": ("GET", f"{base}/sections/{section}/items", run(200)),
        "surveys.edit_item": ("GET", f"{base}/items/{item}/edit", run(200)),
        "surveys.edit_message": ("GET", f"{base}/messages/invitation", run(200)),
        "surveys.add_wave": ("GET", f"{base}/waves/new", run(200)),
        "surveys.wave": ("GET", wave, read),
        "surveys.rates": ("GET", f"{wave}/rates", read),
        "surveys.export_responses": ("GET", f"{wave}/responses.csv", read),
        "surveys.edit_wave": ("GET", f"{wave}/edit", run(200)),
        "surveys.import_responses": ("GET", f"{wave}/import", run(200)),
        "results.page": ("GET", f"{base}/results", read),
        "results.report": ("GET", f"{base}/results/report.csv", read),
        "results.chart": ("GET", f"{base}/results/charts/clear_vision.svg", read),
        "respond.land": ("GET", "/s/not-a-real-survey-link-token", nobody),
        "respond.resume": ("GET", "/respond", nobody),
        "respond.page": ("GET", "/respond/1", nobody),
        "respond.autosave": ("POST", "/respond/1/autosave", nobody),
        "respond.saved": ("GET", "/respond/saved", nobody),
        "respond.check": ("GET", "/respond/check", nobody),
        "respond.submit": ("POST", "/respond/submit", nobody),
        "respond.done": ("GET", "/respond/done", nobody),
        "respond.mine": ("GET", "/my-surveys", ok_all),
        # Xena, the invited person, has no account: nobody else may take her place.
        "respond.start_mine": (
            "POST",
            f"/my-surveys/{invitation}",
            dict.fromkeys(signed_in, 404),
        ),
        # Refused or invalid empty forms first, then the changes.
        "surveys.add_section": ("POST", f"{base}/sections", run(422)),
        "surveys.move_item": ("POST", f"{base}/items/{item}/move", run(400)),
        "surveys.wave_state": ("POST", f"{wave}/state", run(400)),
        "surveys.draw_sample": ("POST", f"{wave}/sample", run(422)),
        "surveys.add_sample_person": ("POST", f"{wave}/sample/person", run(400)),
        "surveys.carry_forward": ("POST", f"{wave}/sample/carry-forward", run(409)),
        "surveys.confirm_import": ("POST", f"{wave}/import/confirm", run(422)),
        "surveys.invite": ("POST", f"{wave}/invite", run(303)),
        "surveys.remind": ("POST", f"{wave}/remind", run(303)),
        "surveys.withdraw": (
            "POST",
            f"{wave}/sample/{invitation}/withdraw",
            run(303),
        ),
        "surveys.delete_item": ("POST", f"{base}/items/{item}/delete", run(303)),
    }


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
