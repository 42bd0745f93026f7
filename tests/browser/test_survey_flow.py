"""A partner's staff member answers from the emailed link: keyboard, autosave, resume,
check, submit once; and the same first section without JavaScript."""

import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlalchemy import select

from portal.extensions import db
from surveys import fieldwork
from surveys import services
from surveys.models import DraftAnswer
from surveys.models import Item
from surveys.models import Response
from tests.browser_helpers import assert_accessible
from tests.helpers import TODAY
from tests.helpers import build_survey
from tests.helpers import links_in_outbox

pytestmark = pytest.mark.browser


@pytest.fixture
def emailed(world):
    """Xena is invited to a two-section survey; her link is in the outbox."""
    survey = build_survey(world["x"])
    db.session.flush()
    wave = services.add_wave(
        survey,
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=14),
    )
    db.session.flush()
    fieldwork.add_person(wave, world["x_person"])
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    ((recipient, token),) = links_in_outbox()
    assert recipient == "xena@example.org"
    return {"token": token, "items": {item.code: item for item in survey.items}}


def _drafts() -> dict[str, str]:
    """Saved answers by item code, as the live server committed them."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Item.code, DraftAnswer.value).join(Item, Item.id == DraftAnswer.item_id)
    )
    return dict(rows.all())


def _arrive(tab, heading: str) -> None:
    """Wait for the page with this heading to finish loading (its scripts included).

    Moving on sooner would race htmx's start-up, and a page closed mid-download
    leaves the live server an unclosed static file.
    """
    expect(tab.get_by_role("heading", level=1)).to_have_text(heading)
    tab.wait_for_load_state("load")


def _is_autosave(response) -> bool:
    return response.url.endswith("/autosave")


def _posted(response) -> dict[str, str]:
    """The fields an htmx request sent (the last value of each)."""
    return {
        name: values[-1]
        for name, values in parse_qs(response.request.post_data or "").items()
    }


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_respondent_answers_by_keyboard_resumes_and_submits_once(new_browser, emailed):
    token = emailed["token"]
    vision = emailed["items"]["clear_vision"]
    role = emailed["items"]["profile_role"]

    # 1. The emailed link swaps its token for a session and a clean address.
    tab = new_browser()
    tab.goto(f"/s/{token}")
    expect(tab).to_have_url(re.compile(r"/respond/1$"))
    assert token not in tab.url
    _arrive(tab, "Working together")
    expect(tab.get_by_text("Section 1 of 2")).to_be_visible()
    assert_accessible(tab)

    # 2. Keyboard only: skip link, header link, then the two radio groups and Continue.
    tab.keyboard.press("Tab")
    expect(tab.locator(".govuk-skip-link")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Partnership Portal")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(tab.get_by_label("Strongly agree")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(tab.get_by_label("Lead organisation")).to_be_focused()
    tab.keyboard.press("Tab")
    continue_button = tab.get_by_role("button", name="Continue")
    expect(continue_button).to_be_focused()
    # Continue with the required question blank: an error summary that takes focus.
    tab.keyboard.press("Enter")
    summary = tab.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Answer this question")
    tab.wait_for_load_state("load")
    expect(summary).to_be_focused()
    expect(tab).to_have_title(re.compile(r"^Error: Working together\b"))
    assert_accessible(tab)
    # The summary's link takes focus to the question; Space and arrows answer it.
    tab.keyboard.press("Tab")
    expect(summary.get_by_role("link")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.get_by_label("Strongly agree")).to_be_focused()
    tab.keyboard.press("Space")
    expect(tab.get_by_label("Strongly agree")).to_be_checked()
    # Each change is saved at once (htmx), and says so beside the question.
    expect(tab.locator(f"#saved-{vision.id}")).to_have_text("Saved")
    with tab.expect_response(_is_autosave) as saving:
        tab.keyboard.press("ArrowDown")
    expect(tab.get_by_label("Agree", exact=True)).to_be_checked()
    expect(tab.get_by_label("Agree", exact=True)).to_be_focused()
    assert saving.value.status == 200
    assert _posted(saving.value)["item"] == str(vision.id)
    assert _posted(saving.value)[f"item-{vision.id}"] == "2"
    tab.keyboard.press("Tab")
    expect(tab.get_by_label("Lead organisation")).to_be_focused()
    with tab.expect_response(_is_autosave) as saving:
        tab.keyboard.press("ArrowDown")
    expect(tab.get_by_label("Partner organisation")).to_be_checked()
    expect(tab.locator(f"#saved-{role.id}")).to_have_text("Saved")
    assert _posted(saving.value)["item"] == str(role.id)
    assert _drafts() == {"clear_vision": "2", "profile_role": "Partner organisation"}
    tab.keyboard.press("Tab")
    expect(continue_button).to_be_focused()
    tab.keyboard.press("Enter")
    _arrive(tab, "About you")
    assert tab.console_errors == []

    # 3. Close the browser; the link opens again where they left off (the next
    # section), and the finished section keeps its answers.
    tab.context.close()
    tab = new_browser()
    tab.goto(f"/s/{token}")
    _arrive(tab, "About you")
    assert token not in tab.url
    tab.get_by_role("link", name="Back to section 1").click()
    _arrive(tab, "Working together")
    expect(tab.get_by_label("Agree", exact=True)).to_be_checked()
    expect(tab.get_by_label("Partner organisation")).to_be_checked()
    # "Don't know" is offered, apart from the scale.
    expect(tab.get_by_label("Don't know")).not_to_be_checked()
    expect(tab.locator(".govuk-radios__divider")).to_have_text("or")

    # 4. Finish, check, submit.
    tab.get_by_role("button", name="Continue").click()
    _arrive(tab, "About you")
    sectors = tab.get_by_role("group", name="Which sectors do you work with?")
    expect(sectors).to_have_accessible_description("Select all that apply.")
    assert_accessible(tab)
    tab.get_by_label("Anything else?").fill("A good partnership")
    tab.get_by_label("Housing").check()
    tab.get_by_label("Health").check()
    tab.get_by_label("How many staff?").fill("12")
    tab.get_by_role("button", name="Check your answers").click()
    _arrive(tab, "Check your answers")
    answers = tab.locator(".govuk-summary-list")
    expect(answers.first).to_contain_text("Agree")
    expect(answers.first).to_contain_text("Partner organisation")
    expect(answers.last).to_contain_text("Health and Housing")
    expect(answers.last).to_contain_text("A good partnership")
    assert_accessible(tab)
    # A second tab left open on the same page, to submit from later.
    stale = tab.context.new_page()
    stale.goto("/respond/check")
    expect(stale.get_by_role("button", name="Submit my answers")).to_be_visible()

    tab.get_by_role("button", name="Submit my answers").click()
    _arrive(tab, "Answers submitted")
    assert tab.url.endswith("/respond/done")
    assert_accessible(tab)
    assert _count(Response) == 1
    assert _count(DraftAnswer) == 0

    # Back to "Check your answers": it is not offered again.
    tab.go_back()
    _arrive(tab, "Answers submitted")
    expect(tab.get_by_text("You have already submitted")).to_be_visible()
    expect(tab.get_by_role("button", name="Submit my answers")).to_have_count(0)
    # Submitting from the stale tab lands on the confirmation, not a second response.
    stale.get_by_role("button", name="Submit my answers").click()
    _arrive(stale, "Answers submitted")
    assert _count(Response) == 1
    assert tab.console_errors == []


def test_first_section_works_without_javascript(new_browser, emailed):
    tab = new_browser(java_script_enabled=False)
    tab.goto(f"/s/{emailed['token']}")
    _arrive(tab, "Working together")
    tab.get_by_label("Partner organisation").check()
    tab.get_by_role("button", name="Continue").click()
    summary = tab.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The partnership has a clear vision")
    tab.wait_for_load_state("load")
    # The answer given is kept beside the error.
    expect(tab.get_by_label("Partner organisation")).to_be_checked()
    # (No axe-core here: it needs timers, which do not run with scripts off.)
    summary.get_by_role("link").click()
    tab.get_by_label("Don't know").check()
    tab.get_by_role("button", name="Continue").click()
    _arrive(tab, "About you")
    assert _drafts() == {"clear_vision": "DK", "profile_role": "Partner organisation"}
