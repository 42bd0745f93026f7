"""The coordinator's survey pages through the test client: every capability, both
response shapes of the htmx endpoints, refusals with their messages."""

import html
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlalchemy import select

from portal.directory import services as directory_services
from portal.extensions import db
from portal.mail import outbox
from surveys import fieldwork
from surveys import services
from surveys.models import Answer
from surveys.models import Invitation
from surveys.models import Item
from surveys.models import ItemRevision
from surveys.models import MessageKind
from surveys.models import MessageTemplate
from surveys.models import Response
from surveys.models import Section
from surveys.models import Survey
from surveys.models import Wave
from surveys.models import WaveOverride
from tests.helpers import TODAY
from tests.helpers import login
from tests.helpers import prefixed

BASE = "/surveys/x-survey"
WAVE = f"{BASE}/waves/1"


@pytest.fixture
def coordinator(client, survey_world):
    """X's coordinator, signed in, with X's survey (wave 1 open, Xena sampled)."""
    login(client, "coord-x@example.org")
    return client


def _item(code: str) -> Item:
    return db.session.scalar(select(Item).where(Item.code == code))


def _codes(section_title: str) -> list[str]:
    section = db.session.scalar(select(Section).where(Section.title == section_title))
    db.session.refresh(section)
    return [item.code for item in section.items]


def _error_summary(html: str) -> str:
    """The text of the GOV.UK error summary (asserting there is one)."""
    match = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def _answer_wave_1(survey_world) -> None:
    """One submitted response in wave 1: the questionnaire is now locked."""
    item = _item("clear_vision")
    db.session.add(
        Response(
            wave_id=survey_world["wave"].id,
            submitted_on=TODAY,
            answers=[Answer(item_id=item.id, value="2")],
        )
    )
    db.session.commit()


def _edit(item: Item, **fields: str) -> dict[str, str]:
    """An item's edit form; its fields carry the item's prefix (unique ids per row)."""
    return prefixed(f"item{item.id}", fields)


def _date(day: int | str, month: int | str, year: int | str) -> list[str]:
    """The three boxes of a GOV.UK date input, which all share the field's name."""
    return [str(day), str(month), str(year)]


# Creating a survey ----------------------------------------------------------------------


def _new_survey(**changes: str) -> dict[str, str]:
    return {
        "title": "Partnership working 2026",
        "slug": "pw-2026",
        "scope": "partnership:x-partnership",
        "mode": "identified",
        "start_from": "template",
        **changes,
    }


def test_create_from_the_template(coordinator):
    page = coordinator.get("/surveys/new")
    assert page.status_code == 200
    assert "Partnership X" in page.text and "Partnership Y" not in page.text
    # Only administrators run programme-wide surveys.
    assert "programme:" not in page.text
    response = coordinator.post("/surveys/new", data=_new_survey())
    assert response.status_code == 303
    assert response.headers["Location"] == "/surveys/pw-2026"
    survey = db.session.scalar(select(Survey).where(Survey.slug == "pw-2026"))
    assert len(survey.items) == 32
    assert survey.partnership.slug == "x-partnership"
    page = coordinator.get("/surveys/pw-2026").text
    assert "Survey Partnership working 2026 created." in page
    assert "32 questions" in page


def test_create_blank_then_add_section_and_question(coordinator):
    response = coordinator.post(
        "/surveys/new",
        data=_new_survey(slug="blank", start_from="blank", mode="anonymous"),
    )
    assert response.status_code == 303, response.text
    survey = db.session.scalar(select(Survey).where(Survey.slug == "blank"))
    assert survey.items == [] and survey.sections == []
    assert "0 questions in 0 sections" in coordinator.get("/surveys/blank").text
    assert "No questions" not in coordinator.get("/surveys/blank/questionnaire").text
    response = coordinator.post(
        "/surveys/blank/sections", data={"title": "About you", "preamble": ""}
    )
    assert response.status_code == 303
    section = db.session.scalar(select(Section).where(Section.survey_id == survey.id))
    assert response.headers["Location"].endswith(f"#section-{section.id}")
    response = coordinator.post(
        f"/surveys/blank/sections/{section.id}/items",
        data={"code": "role", "type": "text", "text": "What is your role?"},
    )
    assert response.status_code == 303
    db.session.refresh(survey)
    assert [item.code for item in survey.items] == ["role"]


def test_admin_creates_a_programme_survey(client, survey_world):
    programme = directory_services.create_programme(slug="prog-x", name="Programme X")
    survey_world["x"].programme = programme
    db.session.commit()
    login(client, "admin@example.org")
    assert "Every partnership in Programme X" in client.get("/surveys/new").text
    response = client.post(
        "/surveys/new", data=_new_survey(slug="prog-survey", scope="programme:prog-x")
    )
    assert response.status_code == 303
    survey = db.session.scalar(select(Survey).where(Survey.slug == "prog-survey"))
    assert survey.programme_id == programme.id and survey.partnership_id is None
    assert len(survey.items) == 32


def test_only_coordinators_and_admins_create_surveys(client, survey_world):
    login(client, "board-x@example.org")
    assert "Create a survey" not in client.get("/surveys").text
    assert client.get("/surveys/new").status_code == 403
    assert client.post("/surveys/new", data=_new_survey()).status_code == 403
    client.post("/auth/logout")
    login(client, "coord-x@example.org")
    response = client.post("/surveys/new", data=_new_survey(scope="programme:prog-x"))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title"),
        ({"slug": "Not A Slug"}, "Use lower-case letters"),
        ({"slug": "x-survey"}, "already exists"),
        ({"slug": "x-survey", "start_from": "blank"}, "already exists"),
        ({"scope": "partnership:y-partnership"}, "Not a valid choice"),
        ({"scope": ""}, "Choose a partnership or programme"),
        ({"start_from": "nonsense"}, "Not a valid choice"),
    ],
)
def test_create_refuses_bad_input(coordinator, changes, message):
    before = db.session.scalar(select(func.count(Survey.id)))
    response = coordinator.post("/surveys/new", data=_new_survey(**changes))
    assert response.status_code == 422
    assert message in _error_summary(response.text)
    assert "<title>Error: " in response.text
    assert db.session.scalar(select(func.count(Survey.id))) == before


# Sections and questions -----------------------------------------------------------------


def test_add_section_and_a_bad_one(coordinator):
    response = coordinator.post(
        f"{BASE}/sections", data={"title": "Outcomes", "preamble": "Since last year"}
    )
    assert response.status_code == 303
    page = coordinator.get(f"{BASE}/questionnaire").text
    assert "3. Outcomes" in page and "Since last year" in page
    response = coordinator.post(f"{BASE}/sections", data={"title": ""})
    assert response.status_code == 422
    assert "Enter a section title" in _error_summary(response.text)
    assert db.session.scalar(select(func.count(Section.id))) == 3


def test_edit_section(coordinator):
    section = db.session.scalar(select(Section).where(Section.title == "About you"))
    url = f"{BASE}/sections/{section.id}/edit"
    assert 'value="About you"' in coordinator.get(url).text
    assert coordinator.post(url, data={"title": ""}).status_code == 422
    assert coordinator.post(url, data={"title": "About your work"}).status_code == 303
    db.session.refresh(section)
    assert section.title == "About your work"


def _new_item(**changes: str) -> dict[str, str]:
    return {
        "code": "trust",
        "type": "likert",
        "text": "Partners trust each other",
        "scale": "agree5",
        "options": "",
        **changes,
    }


def test_add_question(coordinator):
    section = db.session.scalar(
        select(Section).where(Section.title == "Working together")
    )
    url = f"{BASE}/sections/{section.id}/items"
    page = coordinator.get(url)
    assert page.status_code == 200 and 'name="code"' in page.text
    response = coordinator.post(url, data={**_new_item(), "required": "y"})
    assert response.status_code == 303
    trust = _item("trust")
    assert response.headers["Location"].endswith(f"#item-{trust.id}")
    assert trust.required and trust.scale == "agree5"
    # Added at the end of its section, before the next section's questions.
    assert _codes("Working together") == ["clear_vision", "profile_role", "trust"]
    assert [item.code for item in trust.survey.items][:4] == [
        "clear_vision",
        "profile_role",
        "trust",
        "comments",
    ]
    response = coordinator.post(
        url,
        data=_new_item(code="partners", type="multi", options="Police\nNHS\n\nCouncil"),
    )
    assert response.status_code == 303
    assert _item("partners").option_labels == ["Police", "NHS", "Council"]
    assert _item("partners").scale == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "Enter a code"),
        ({"code": "Bad Code"}, "code", "Start with a letter"),
        ({"code": "clear_vision"}, "code", "Code clear_vision is already used"),
        ({"text": ""}, "text", "Enter the question"),
        ({"type": "essay"}, "type", "Not a valid choice"),
        ({"scale": "stars"}, "scale", "Choose a scale for a likert question"),
        ({"type": "single", "options": "Only one"}, "options", "at least two"),
        ({"type": "multi", "options": "Yes\nyes"}, "options", "listed twice"),
        ({"type": "single", "options": "A|B\nC"}, "options", "cannot contain |"),
    ],
)
def test_add_question_refuses_bad_input(coordinator, changes, field, message):
    section = db.session.scalar(
        select(Section).where(Section.title == "Working together")
    )
    before = db.session.scalar(select(func.count(Item.id)))
    response = coordinator.post(
        f"{BASE}/sections/{section.id}/items", data=_new_item(**changes)
    )
    assert response.status_code == 422
    summary = _error_summary(response.text)
    assert message in summary and f'href="#{field}"' in summary
    assert "<title>Error: " in response.text
    assert db.session.scalar(select(func.count(Item.id))) == before


def test_inline_edit_with_htmx_returns_the_row(coordinator):
    item = _item("clear_vision")
    url = f"{BASE}/items/{item.id}/edit"
    htmx = {"HX-Request": "true"}
    form = coordinator.get(url, headers=htmx)
    assert form.status_code == 200 and "HX-Request" in form.headers["Vary"]
    assert form.text.lstrip().startswith(
        f'<tr class="govuk-table__row" id="item-{item.id}"'
    )
    assert "<html" not in form.text and 'hx-post="' in form.text
    assert f'name="item{item.id}-version" type="hidden" value="1"' in form.text
    assert f'<label class="govuk-label" for="item{item.id}-text">' in form.text
    response = coordinator.post(
        url,
        data=_edit(
            item,
            text="The partnership has a shared vision",
            scale="agree5",
            version="1",
        ),
        headers=htmx,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<tr class="govuk-table__row" id="item-{item.id}"'
    )
    assert "<html" not in response.text and "<form" not in response.text.split("<td")[2]
    assert "shared vision" in response.text
    assert "HX-Request" in response.headers["Vary"]
    db.session.refresh(item)
    assert item.text == "The partnership has a shared vision"
    assert item.version == 2 and not item.required
    # No flash waits for the next page: the row itself shows the change.
    assert "saved." not in coordinator.get(f"{BASE}/questionnaire").text
    # Cancel fetches the row back, and without htmx the same address is a page.
    row = coordinator.get(f"{BASE}/items/{item.id}", headers=htmx)
    assert row.text.lstrip().startswith("<tr") and "shared vision" in row.text
    page = coordinator.get(f"{BASE}/items/{item.id}")
    assert "<html" in page.text and f'id="item-{item.id}"' in page.text


def test_inline_edit_errors_come_back_as_the_edit_row(coordinator):
    item = _item("clear_vision")
    response = coordinator.post(
        f"{BASE}/items/{item.id}/edit",
        data=_edit(item, text="", scale="agree5", version="1"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith(
        f'<tr class="govuk-table__row" id="item-{item.id}"'
    )
    assert "Enter the question" in _error_summary(response.text)
    db.session.refresh(item)
    assert item.text == "The partnership has a clear vision" and item.version == 1


def test_edit_without_htmx_redirects(coordinator):
    item = _item("profile_role")
    url = f"{BASE}/items/{item.id}/edit"
    page = coordinator.get(url)
    assert "<html" in page.text and "Edit question profile_role" in page.text
    # The code and type are fixed, so the form does not offer them.
    assert "-code" not in page.text and "-type" not in page.text
    assert "Lead organisation\nPartner organisation" in page.text
    response = coordinator.post(
        url,
        data=_edit(
            item,
            text="What is your organisation's role?",
            options="Lead organisation\nPartner organisation\nFunder",
            required="y",
            version="1",
        ),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}/questionnaire#item-{item.id}"
    db.session.refresh(item)
    assert item.option_labels[-1] == "Funder" and item.required
    assert (
        "Question profile_role saved." in coordinator.get(f"{BASE}/questionnaire").text
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_stale_edit_is_a_conflict_and_nothing_is_lost(coordinator, htmx):
    item = _item("clear_vision")
    # Someone else saves first.
    services.update_item(
        item,
        opened_version=1,
        text="Their wording",
        scale="agree5",
        options=[],
        required=True,
        by=None,
    )
    db.session.commit()
    headers = {"HX-Request": "true"} if htmx else {}
    response = coordinator.post(
        f"{BASE}/items/{item.id}/edit",
        data=_edit(item, text="My wording", scale="agree5", version="1"),
        headers=headers,
    )
    assert response.status_code == 409
    assert "Someone else saved this question" in _error_summary(response.text)
    assert "Their wording" in response.text  # theirs is shown ...
    assert ">My wording</textarea>" in response.text  # ... and mine is kept
    assert ("<html" in response.text) is not htmx
    db.session.refresh(item)
    assert item.text == "Their wording" and item.version == 2
    # The form now carries their version: saving again replaces it knowingly.
    assert f'name="item{item.id}-version" type="hidden" value="2"' in response.text
    again = coordinator.post(
        f"{BASE}/items/{item.id}/edit",
        data=_edit(item, text="My wording", scale="agree5", version="2"),
        headers=headers,
    )
    assert again.status_code == (200 if htmx else 303)
    db.session.refresh(item)
    assert item.text == "My wording" and item.version == 3


def test_reorder_without_htmx(coordinator):
    item = _item("profile_role")
    response = coordinator.post(
        f"{BASE}/items/{item.id}/move", data={"direction": "up"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}/questionnaire#item-{item.id}"
    assert _codes("Working together") == ["profile_role", "clear_vision"]
    # Moving past the end of the section changes nothing.
    assert (
        coordinator.post(
            f"{BASE}/items/{item.id}/move", data={"direction": "up"}
        ).status_code
        == 303
    )
    assert _codes("Working together") == ["profile_role", "clear_vision"]
    response = coordinator.post(
        f"{BASE}/items/{item.id}/move", data={"direction": "down"}
    )
    assert response.status_code == 303
    assert _codes("Working together") == ["clear_vision", "profile_role"]
    bad = coordinator.post(
        f"{BASE}/items/{item.id}/move", data={"direction": "sideways"}
    )
    assert bad.status_code == 400


def test_reorder_with_htmx_returns_the_sections(coordinator):
    item = _item("sectors")
    response = coordinator.post(
        f"{BASE}/items/{item.id}/move",
        data={"direction": "up"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="sections">')
    assert "<html" not in response.text
    html = response.text
    assert html.index('id="item-' + str(item.id)) < html.index("<code>comments</code>")
    assert _codes("About you") == ["sectors", "comments", "staff"]


def test_delete_question(coordinator):
    item_id = _item("comments").id
    response = coordinator.post(f"{BASE}/items/{item_id}/delete")
    assert response.status_code == 303
    assert _item("comments") is None
    assert _codes("About you") == ["sectors", "staff"]
    positions = [
        item.position
        for item in db.session.scalars(select(Item).order_by(Item.position))
    ]
    assert positions == [1, 2, 3, 4]
    assert "Question comments removed." in coordinator.get(f"{BASE}/questionnaire").text
    assert coordinator.post(f"{BASE}/items/{item_id}/delete").status_code == 404


# A questionnaire with answers -----------------------------------------------------------


def test_answered_questionnaire_is_locked(coordinator, survey_world):
    _answer_wave_1(survey_world)
    item = _item("clear_vision")
    section = item.section
    page = coordinator.get(f"{BASE}/questionnaire").text
    assert "This questionnaire has answers" in page
    assert "/move" not in page and "/delete" not in page and "Add a section" not in page
    refusals = [
        coordinator.post(f"{BASE}/items/{item.id}/move", data={"direction": "down"}),
        coordinator.post(
            f"{BASE}/items/{item.id}/move",
            data={"direction": "down"},
            headers={"HX-Request": "true"},
        ),
        coordinator.post(f"{BASE}/items/{item.id}/delete"),
        coordinator.post(f"{BASE}/sections", data={"title": "More"}),
        coordinator.post(f"{BASE}/sections/{section.id}/items", data=_new_item()),
    ]
    for response in refusals:
        assert response.status_code == 409
        assert "cannot be added, removed, reordered" in _error_summary(response.text)
    assert refusals[1].text.lstrip().startswith('<div id="sections">')
    assert _codes("Working together") == ["clear_vision", "profile_role"]
    assert db.session.scalar(select(func.count(Item.id))) == 5
    assert db.session.scalar(select(func.count(Section.id))) == 2


def test_wording_change_after_answers_keeps_the_old_wording(coordinator, survey_world):
    _answer_wave_1(survey_world)
    item = _item("clear_vision")
    response = coordinator.post(
        f"{BASE}/items/{item.id}/edit",
        data=_edit(
            item,
            text="The partnership has a shared vision",
            scale="agree5",
            version="1",
        ),
    )
    assert response.status_code == 303
    (revision,) = db.session.scalars(select(ItemRevision)).all()
    assert revision.text == "The partnership has a clear vision"
    assert revision.last_wave == 1
    assert revision.changed_by.email == "coord-x@example.org"
    page = coordinator.get(f"{BASE}/questionnaire").text
    assert "Earlier wording" in page
    assert "Up to wave 1: “The partnership has a clear vision”" in page
    row = coordinator.get(
        f"{BASE}/items/{item.id}", headers={"HX-Request": "true"}
    ).text
    assert "Earlier wording" in row


def test_choices_of_an_answered_question_cannot_change(coordinator, survey_world):
    _answer_wave_1(survey_world)
    item = _item("profile_role")
    response = coordinator.post(
        f"{BASE}/items/{item.id}/edit",
        data=_edit(item, text=item.text, options="Lead\nPartner", version="1"),
    )
    assert response.status_code == 422
    summary = _error_summary(response.text)
    assert "choices of an answered question cannot change" in summary
    assert f'href="#item{item.id}-options"' in summary
    db.session.refresh(item)
    assert item.options == "Lead organisation|Partner organisation"


# Waves ----------------------------------------------------------------------------------


def test_add_wave_with_govuk_date_inputs(coordinator):
    page = coordinator.get(f"{BASE}/waves/new").text
    for part in ("day", "month", "year"):
        assert f'id="opens_on-{part}" name="opens_on"' in page
    assert (
        '<legend class="govuk-fieldset__legend">' in page and "Fieldwork opens" in page
    )
    start = TODAY + timedelta(days=30)
    end = start + timedelta(days=21)
    response = coordinator.post(
        f"{BASE}/waves/new",
        data={
            "opens_on": _date(start.day, start.month, start.year),
            "closes_on": _date(end.day, end.month, end.year),
            "context_notes": "  Funding extension announced  ",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BASE}/waves/2"
    wave = db.session.scalar(select(Wave).where(Wave.number == 2))
    assert (wave.opens_on, wave.closes_on) == (start, end)
    assert wave.context_notes == "Funding extension announced"
    page = coordinator.get(f"{BASE}/waves/2").text
    assert "Wave 2 added." in page and "Not yet open" in page


@pytest.mark.parametrize(
    ("opens", "closes", "field", "message"),
    [
        (
            _date(10, 6, 2031),
            _date(9, 6, 2031),
            "closes_on",
            "on or after the open date",
        ),
        (
            _date("", "", ""),
            _date(9, 6, 2031),
            "opens_on",
            "Enter the date fieldwork opens",
        ),
        (_date("", 6, 2031), _date(9, 6, 2031), "opens_on", "must include a day"),
        (
            _date(1, "", ""),
            _date(9, 6, 2031),
            "opens_on",
            "must include a month and year",
        ),
        (_date(31, 2, 2031), _date(9, 6, 2031), "opens_on", "must be a real date"),
        (_date(1, 6, 31), _date(9, 6, 2031), "opens_on", "4-digit year"),
        (_date("a", 6, 2031), _date(9, 6, 2031), "opens_on", "must be a real date"),
        (
            _date(1, 1, 2000),
            _date(9, 6, 2031),
            "opens_on",
            "a new wave must open on or after",
        ),
        (None, None, "opens_on", "Enter the date fieldwork opens"),
    ],
)
def test_add_wave_refuses_bad_dates(coordinator, opens, closes, field, message):
    data = {} if opens is None else {"opens_on": opens, "closes_on": closes}
    response = coordinator.post(f"{BASE}/waves/new", data=data)
    assert response.status_code == 422
    summary = _error_summary(response.text)
    assert message in summary and f'href="#{field}"' in summary
    # What was typed is shown back in the three boxes.
    if opens:
        assert (
            f'name="opens_on" type="text" value="{opens[2]}"' in response.text
            or not opens[2]
        )
    assert db.session.scalar(select(func.count(Wave.id))) == 1


def test_edit_wave_and_a_stale_edit(coordinator, survey_world):
    wave = survey_world["wave"]
    page = coordinator.get(f"{WAVE}/edit").text
    assert f'value="{wave.opens_on:%d}"' in page
    end = wave.closes_on + timedelta(days=7)
    data = {
        "opens_on": _date(wave.opens_on.day, wave.opens_on.month, wave.opens_on.year),
        "closes_on": _date(end.day, end.month, end.year),
        "context_notes": "",
        "version": "1",
    }
    assert coordinator.post(f"{WAVE}/edit", data=data).status_code == 303
    db.session.refresh(wave)
    assert wave.closes_on == end and wave.version == 2
    stale = coordinator.post(f"{WAVE}/edit", data={**data, "context_notes": "Mine"})
    assert stale.status_code == 409
    assert "Someone else saved this wave" in _error_summary(stale.text)
    assert ">Mine</textarea>" in stale.text
    db.session.refresh(wave)
    assert wave.context_notes == "" and wave.version == 2


def test_open_and_close_a_wave_by_hand(coordinator, survey_world):
    wave = survey_world["wave"]
    page = coordinator.get(WAVE).text
    assert "Close wave now" in page
    response = coordinator.post(f"{WAVE}/state", data={"state": "closed"})
    assert response.status_code == 303
    db.session.refresh(wave)
    assert wave.override is WaveOverride.CLOSED and not wave.is_open(TODAY)
    page = coordinator.get(WAVE).text
    assert "Wave 1 is now closed." in page and "(by hand)" in page
    assert "Open wave now" in page and "Follow the dates again" in page
    assert coordinator.post(f"{WAVE}/state", data={"state": "open"}).status_code == 303
    db.session.refresh(wave)
    assert wave.override is WaveOverride.OPEN
    assert coordinator.post(f"{WAVE}/state", data={"state": "dates"}).status_code == 303
    db.session.refresh(wave)
    assert wave.override is None and wave.is_open(TODAY)
    assert coordinator.post(f"{WAVE}/state", data={"state": "maybe"}).status_code == 400


# The sample -----------------------------------------------------------------------------


def test_draw_sample_with_max_per_organisation(coordinator, survey_world, make_person):
    for number in range(4):
        make_person(
            f"Partner {number}", f"p{number}@example.org", survey_world["x_partner"]
        )
    response = coordinator.post(
        f"{WAVE}/sample",
        data={"partnership": "", "organisation": "", "max_per_organisation": "2"},
    )
    assert response.status_code == 303
    wave = survey_world["wave"]
    db.session.refresh(wave)
    per_org: dict[int, int] = {}
    for invitation in wave.invitations:
        per_org[invitation.organisation_id] = (
            per_org.get(invitation.organisation_id, 0) + 1
        )
    assert per_org[survey_world["x_partner"].id] == 2
    assert all(count <= 2 for count in per_org.values())
    assert survey_world["y_person"].id not in {
        inv.person_id for inv in wave.invitations
    }
    page = coordinator.get(WAVE).text
    added = len(wave.invitations) - 1
    assert f"{added} people added to the sample." in page


def test_draw_sample_from_one_organisation(coordinator, survey_world, make_person):
    make_person("Lena Lead", "lena@example.org", survey_world["x_lead"])
    make_person("Pat Partner", "pat@example.org", survey_world["x_partner"])
    response = coordinator.post(
        f"{WAVE}/sample",
        data={
            "organisation": str(survey_world["x_lead"].id),
            "max_per_organisation": "5",
        },
    )
    assert response.status_code == 303
    names = {inv.person.name for inv in db.session.scalars(select(Invitation))}
    assert "Lena Lead" in names and "Pat Partner" not in names


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_per_organisation": "0"}, "Enter a number from 1 to 50"),
        ({"max_per_organisation": ""}, "Enter how many people"),
        ({"max_per_organisation": "2", "organisation": "99999"}, "Not a valid choice"),
        ({"max_per_organisation": "2", "partnership": "99999"}, "Not a valid choice"),
    ],
)
def test_draw_sample_refuses_bad_input(coordinator, survey_world, data, message):
    response = coordinator.post(f"{WAVE}/sample", data=data)
    assert response.status_code == 422
    assert message in _error_summary(response.text)
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


def test_add_one_person(coordinator, survey_world, make_person):
    lena = make_person("Lena Lead", "lena@example.org", survey_world["x_lead"])
    page = coordinator.get(WAVE).text
    assert "Lena Lead, X Lead Org" in page
    response = coordinator.post(f"{WAVE}/sample/person", data={"person": str(lena.id)})
    assert response.status_code == 303
    assert lena.id in {inv.person_id for inv in db.session.scalars(select(Invitation))}
    assert (
        coordinator.post(f"{WAVE}/sample/person", data={"person": "x"}).status_code
        == 400
    )


def test_carry_forward(coordinator, survey_world):
    assert coordinator.post(f"{WAVE}/sample/carry-forward").status_code == 409
    services.add_wave(
        survey_world["survey"],
        opens_on=TODAY + timedelta(days=30),
        closes_on=TODAY + timedelta(days=40),
    )
    db.session.commit()
    response = coordinator.post(f"{BASE}/waves/2/sample/carry-forward")
    assert response.status_code == 303
    wave2 = db.session.scalar(select(Wave).where(Wave.number == 2))
    assert [inv.person.name for inv in wave2.invitations] == ["Xena Staff"]
    assert (
        "1 people carried forward from wave 1."
        in coordinator.get(f"{BASE}/waves/2").text
    )


def test_carry_forward_into_wave_1_is_refused_with_a_message(coordinator):
    response = coordinator.post(f"{WAVE}/sample/carry-forward")
    assert response.status_code == 409
    assert "There is no earlier wave" in _error_summary(response.text)
    assert "<title>Error: " in response.text


def test_withdraw(coordinator, survey_world):
    (invitation,) = survey_world["wave"].invitations
    response = coordinator.post(f"{WAVE}/sample/{invitation.id}/withdraw")
    assert response.status_code == 303
    db.session.refresh(invitation)
    assert invitation.withdrawn
    page = coordinator.get(WAVE).text
    assert "Xena Staff taken out of the sample." in page and "Sample (0 people)" in page


def test_withdrawing_someone_who_answered_is_refused(coordinator, survey_world):
    (invitation,) = survey_world["wave"].invitations
    invitation.completed = True
    db.session.commit()
    response = coordinator.post(f"{WAVE}/sample/{invitation.id}/withdraw")
    assert response.status_code == 409
    assert "has already answered" in _error_summary(response.text)
    db.session.refresh(invitation)
    assert not invitation.withdrawn


# Emails ---------------------------------------------------------------------------------


def test_send_invitations_then_reminders(coordinator, survey_world, make_person):
    pat = make_person("Pat Partner", "pat@example.org", survey_world["x_partner"])
    fieldwork.add_person(survey_world["wave"], pat)
    db.session.commit()
    page = coordinator.get(WAVE).text
    assert "Send invitations to 2 people not yet invited" in page
    response = coordinator.post(f"{WAVE}/invite")
    assert response.status_code == 303
    assert "2 invitations queued to send." in coordinator.get(WAVE).text
    assert outbox() == []  # sent by the worker, after the commit
    assert fieldwork.send_due().sent == 2
    assert sorted(entry.to for entry in outbox()) == [
        "pat@example.org",
        "xena@example.org",
    ]
    assert all("/s/" in entry.body for entry in outbox())
    # Invitations are not sent twice.
    coordinator.post(f"{WAVE}/invite")
    assert fieldwork.send_due().sent == 0

    xena = next(
        inv for inv in survey_world["wave"].invitations if inv.person_id != pat.id
    )
    page = coordinator.get(WAVE).text
    assert 'Remind<span class="govuk-visually-hidden"> Xena Staff</span>' in page
    response = coordinator.post(f"{WAVE}/remind", data={"invitation": str(xena.id)})
    assert response.status_code == 303
    assert "1 reminders queued to send." in coordinator.get(WAVE).text
    assert fieldwork.send_due().sent == 1
    reminders = [entry for entry in outbox() if entry.subject.startswith("Reminder")]
    assert [entry.to for entry in reminders] == ["xena@example.org"]
    response = coordinator.post(f"{WAVE}/remind")
    assert response.status_code == 303
    assert fieldwork.send_due().sent == 2
    reminders = [entry for entry in outbox() if entry.subject.startswith("Reminder")]
    assert sorted(entry.to for entry in reminders) == [
        "pat@example.org",
        "xena@example.org",
        "xena@example.org",
    ]
    assert (
        coordinator.post(f"{WAVE}/remind", data={"invitation": "x"}).status_code == 400
    )
    assert (
        coordinator.post(f"{WAVE}/remind", data={"invitation": "99999"}).status_code
        == 404
    )


def test_reminders_and_invitations_refused_once_closed(coordinator, survey_world):
    wave = survey_world["wave"]
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    wave.opens_on = wave.closes_on = TODAY - timedelta(days=1)
    db.session.commit()
    response = coordinator.post(f"{WAVE}/remind")
    assert response.status_code == 409
    assert "only go out while the wave is open" in _error_summary(response.text)
    response = coordinator.post(f"{WAVE}/invite")
    assert response.status_code == 409
    assert "This wave has closed" in _error_summary(response.text)
    assert fieldwork.send_due().sent == 0
    assert len(outbox()) == 1


def test_edit_message_template(coordinator, survey_world):
    url = f"{BASE}/messages/invitation"
    page = coordinator.get(url).text
    assert "Please take part: {survey_title}" in page
    bad = coordinator.post(
        url,
        data={"subject": "Hello {nmae}", "body": "Dear {name}, {link}", "version": "1"},
    )
    assert bad.status_code == 422
    summary = _error_summary(bad.text)
    assert "{nmae} is not a merge field" in summary and 'href="#subject"' in summary
    no_link = coordinator.post(
        url, data={"subject": "Hello", "body": "Dear {name}", "version": "1"}
    )
    assert no_link.status_code == 422
    assert "must contain {link}" in _error_summary(no_link.text)
    braces = coordinator.post(
        url, data={"subject": "Hello", "body": "Dear {name {link}", "version": "1"}
    )
    assert braces.status_code == 422
    assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0
    good = coordinator.post(
        url,
        data={
            "subject": "Over to you, {name}",
            "body": "Answer here: {link}",
            "version": "1",
        },
    )
    assert good.status_code == 303
    template = fieldwork.template_for(survey_world["survey"], MessageKind.INVITATION)
    assert template.subject == "Over to you, {name}" and template.version == 1
    stale = coordinator.post(
        url, data={"subject": "Mine", "body": "Mine {link}", "version": "0"}
    )
    assert stale.status_code == 409
    assert "Someone else saved this email" in _error_summary(stale.text)
    assert coordinator.get(f"{BASE}/messages/telegram").status_code == 404
    # The saved template is what goes out.
    fieldwork.queue_invitations(survey_world["wave"], TODAY)
    db.session.commit()
    fieldwork.send_due()
    (email,) = outbox()
    assert email.subject == "Over to you, Xena Staff"


# Response rates -------------------------------------------------------------------------


@pytest.fixture
def fieldwork_underway(survey_world, make_person):
    """Three invited in X's two organisations: one submitted, one started."""
    wave = survey_world["wave"]
    for name, email, organisation in (
        ("Lena Lead", "lena@example.org", survey_world["x_lead"]),
        ("Pat Partner", "pat@example.org", survey_world["x_partner"]),
    ):
        fieldwork.add_person(wave, make_person(name, email, organisation))
    db.session.commit()
    by_name = {inv.person.name: inv for inv in wave.invitations}
    for invitation in wave.invitations:
        invitation.invitations_sent = 1
    by_name["Xena Staff"].completed = True
    by_name["Lena Lead"].started = True
    db.session.commit()
    return survey_world


def test_response_rates_page_and_fragment(coordinator, fieldwork_underway):
    page = coordinator.get(WAVE).text
    assert "<strong>1 of 3</strong> invited people have submitted (33.3%)" in page
    assert "Not yet submitted (2)" in page
    full = coordinator.get(f"{WAVE}/rates")
    assert full.status_code == 200 and "<html" in full.text
    assert "Vary" in full.headers and "HX-Request" in full.headers["Vary"]
    fragment = coordinator.get(f"{WAVE}/rates", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="rates"')
    assert "every" not in fragment.text  # no polling: figures move only on request
    assert "Refresh the figures" in fragment.text
    rows = dict(
        re.findall(
            r'<th scope="row" class="govuk-table__header">([^<]+)</th>.*?([\d.]+%|\u2013)</td>',
            fragment.text,
            re.S,
        )
    )
    assert rows == {"X Lead Org": "0.0%", "X Partner Org": "50.0%"}
    by_partnership = coordinator.get(
        f"{WAVE}/rates?by=partnership", headers={"HX-Request": "true"}
    ).text
    assert (
        "Response rate by partnership" in by_partnership
        and "Partnership X" in by_partnership
    )
    by_sector = coordinator.get(
        f"{WAVE}/rates?by=sector", headers={"HX-Request": "true"}
    ).text
    assert "Response rate by sector" in by_sector
    assert coordinator.get(f"{WAVE}/rates?by=person").status_code == 404
    survey_page = coordinator.get(BASE).text
    assert "33.3%" in survey_page


def test_closed_wave_rates_offer_no_refresh(coordinator, fieldwork_underway):
    wave = fieldwork_underway["wave"]
    wave.override = WaveOverride.CLOSED
    db.session.commit()
    fragment = coordinator.get(f"{WAVE}/rates", headers={"HX-Request": "true"}).text
    assert "Refresh the figures" not in fragment


# Import and export ----------------------------------------------------------------------

GOOD_CSV = (
    "respondent_id,organisation,clear_vision,profile_role,sectors,staff\n"
    "R1,X Lead Org,Strongly agree,Lead organisation,Health|Housing,12\n"
    "R2,X Partner Org,4,Partner organisation,,3\n"
)


def _upload(client, text: str | bytes, name: str = "responses.csv"):
    raw = text.encode() if isinstance(text, str) else text
    return client.post(
        f"{WAVE}/import",
        data={"file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def test_import_preview_shows_every_problem_and_saves_nothing(coordinator):
    page = coordinator.get(f"{WAVE}/import")
    assert page.status_code == 200 and 'type="file"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    bad = (
        "respondent_id,organisation,clear_vision,colour\n"
        "R1,Nowhere Org,Very much,red\n"
        "R1,X Lead Org,7,blue\n"
    )
    response = _upload(coordinator, bad)
    assert response.status_code == 422
    summary = _error_summary(response.text)
    for problem in (
        "Row 1, column colour: not an item code of survey x-survey",
        "Row 2, column organisation: “Nowhere Org” is not a known organisation",
        "Row 2, column clear_vision",
        "Row 3, column respondent_id: “R1” is also on row 2",
        "Row 3, column clear_vision",
    ):
        assert problem in summary, problem
    assert "nothing has been imported" in summary
    assert "/import/confirm" not in response.text
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_import_without_a_file_or_in_another_encoding(coordinator):
    response = coordinator.post(f"{WAVE}/import", data={})
    assert response.status_code == 422
    assert "Choose a CSV file" in _error_summary(response.text)
    response = _upload(
        coordinator, "respondent_id,clear_vision\nR1,Agr\xe9\n".encode("latin-1")
    )
    assert response.status_code == 422
    assert "UTF-8" in _error_summary(response.text)


def test_import_preview_then_confirm(coordinator):
    preview = _upload(coordinator, GOOD_CSV)
    assert preview.status_code == 200
    assert "2 responses" in preview.text and "Import 2 responses" in preview.text
    assert db.session.scalar(select(func.count(Response.id))) == 0
    content = re.search(r'name="content" type="hidden" value="([^"]*)"', preview.text)
    assert content
    text = html.unescape(content.group(1))
    assert text == GOOD_CSV
    response = coordinator.post(f"{WAVE}/import/confirm", data={"content": text})
    assert response.status_code == 303
    assert response.headers["Location"] == WAVE
    assert db.session.scalar(select(func.count(Response.id))) == 2
    page = coordinator.get(WAVE).text
    assert "2 responses imported into wave 1." in page
    # A second import would double the answers.
    again = coordinator.post(f"{WAVE}/import/confirm", data={"content": text})
    assert again.status_code == 422
    assert "already has 2 responses" in _error_summary(again.text)
    assert db.session.scalar(select(func.count(Response.id))) == 2


def test_confirm_checks_the_file_again(coordinator):
    response = coordinator.post(
        f"{WAVE}/import/confirm",
        data={"content": "respondent_id,clear_vision\nR1,Maybe\n"},
    )
    assert response.status_code == 422
    assert "Row 2, column clear_vision" in _error_summary(response.text)
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_export_csv_and_xlsx(coordinator):
    coordinator.post(f"{WAVE}/import/confirm", data={"content": GOOD_CSV})
    csv_file = coordinator.get(f"{WAVE}/responses.csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["Content-Type"].startswith("text/csv")
    assert (
        csv_file.headers["Content-Disposition"]
        == 'attachment; filename="x-survey-wave-1-responses.csv"'
    )
    lines = csv_file.text.splitlines()
    assert lines[0].startswith("respondent_id,organisation,clear_vision")
    assert lines[1].startswith("R1,X Lead Org,Strongly agree")
    xlsx = coordinator.get(f"{WAVE}/responses.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx.headers["Content-Disposition"] == (
        'attachment; filename="x-survey-wave-1-responses.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(row=2, column=1).value == "R1"
    assert coordinator.get(f"{WAVE}/responses.pdf").status_code == 404
    instrument = coordinator.get(f"{BASE}/questionnaire.csv")
    assert instrument.headers["Content-Disposition"] == (
        'attachment; filename="x-survey-instrument.csv"'
    )
    assert instrument.text.startswith("code,section,preamble,text,type")


# A board member reads but changes nothing -----------------------------------------------


def _post_routes(app) -> list[str]:
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("surveys.") and "POST" in rule.methods
    )


def test_board_member_reads_but_every_post_is_403(app, client, survey_world):
    login(client, "board-x@example.org")
    item = _item("clear_vision")
    section = item.section
    (invitation,) = survey_world["wave"].invitations
    for url in (
        BASE,
        f"{BASE}/questionnaire",
        f"{BASE}/questionnaire.csv",
        f"{BASE}/items/{item.id}",
        WAVE,
        f"{WAVE}/rates",
        f"{WAVE}/responses.csv",
        f"{WAVE}/responses.xlsx",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"{BASE}/questionnaire").text
    assert "/edit" not in page and "/move" not in page and "Add a section" not in page
    wave_page = client.get(WAVE).text
    assert "Close wave now" not in wave_page and "/withdraw" not in wave_page
    assert "/import" not in wave_page
    posts = {
        "surveys.create": "/surveys/new",
        "surveys.add_section": f"{BASE}/sections",
        "surveys.edit_section": f"{BASE}/sections/{section.id}/edit",
        "surveys.add_item": f"{BASE}/sections/{section.id}/items",
        "surveys.edit_item": f"{BASE}/items/{item.id}/edit",
        "surveys.move_item": f"{BASE}/items/{item.id}/move",
        "surveys.delete_item": f"{BASE}/items/{item.id}/delete",
        "surveys.edit_message": f"{BASE}/messages/invitation",
        "surveys.add_wave": f"{BASE}/waves/new",
        "surveys.edit_wave": f"{WAVE}/edit",
        "surveys.wave_state": f"{WAVE}/state",
        "surveys.draw_sample": f"{WAVE}/sample",
        "surveys.add_sample_person": f"{WAVE}/sample/person",
        "surveys.carry_forward": f"{WAVE}/sample/carry-forward",
        "surveys.withdraw": f"{WAVE}/sample/{invitation.id}/withdraw",
        "surveys.invite": f"{WAVE}/invite",
        "surveys.remind": f"{WAVE}/remind",
        "surveys.import_responses": f"{WAVE}/import",
        "surveys.confirm_import": f"{WAVE}/import/confirm",
    }
    assert sorted(posts) == _post_routes(app), "add new survey POST routes here"
    for endpoint, url in posts.items():
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(
                url,
                data={"direction": "up", "state": "closed", "title": "Board"},
                headers=headers,
            )
            assert response.status_code == 403, endpoint
    db.session.refresh(item)
    db.session.refresh(invitation)
    assert item.version == 1 and not invitation.withdrawn
    assert survey_world["wave"].override is None
    assert db.session.scalar(select(func.count(Survey.id))) == 1
