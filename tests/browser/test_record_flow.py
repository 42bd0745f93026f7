"""A coordinator keeps the governance record in Chromium: schedules a meeting,
orders its agenda (htmx), records attendance, writes minutes with an action
arising and circulates them, approves them at the next meeting, and finds the
action on the action plan; then starts a memorandum with an extra party row.
axe-core checks each page on the way."""

import re

import pytest
from playwright.sync_api import expect

from governance import meetings
from governance.agreements import Agreement
from governance.meetings import BodyKind
from governance.meetings import Meeting
from governance.meetings import MinutesStatus
from governance.models import Action
from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard

pytestmark = pytest.mark.browser


@pytest.fixture
def board(plan):
    """X's board: the coordinator and a partner's staff member."""
    meetings.create_body(
        plan["x"],
        name="Partnership Board",
        kind=BodyKind.BOARD,
        members=[plan["x_coordinator"].person, plan["x_person"]],
    )
    meetings.set_quorum(plan["x"], count=2, basis=meetings.QuorumBasis.PEOPLE)
    db.session.commit()
    return plan


def _schedule(page, day: str, month: str, year: str, place: str) -> None:
    page.get_by_role("link", name="Meetings", exact=True).click()
    page.get_by_role("link", name="Partnership X").click()
    page.get_by_role("link", name="Schedule a meeting").click()
    page.locator("#held_on-day").fill(day)
    page.locator("#held_on-month").fill(month)
    page.locator("#held_on-year").fill(year)
    page.get_by_label("Start time").fill("10:00")
    place_box = page.get_by_label("Place", exact=True)
    place_box.fill(place)
    # Enter in the last box sends the form, as a keyboard user would.
    place_box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Partnership Board meeting"
    )


def _agenda_titles(page) -> list[str]:
    return page.locator("#agenda-list > ol > li > strong").all_inner_texts()


def _add_item(page, title: str, minutes: str) -> None:
    page.get_by_text("Add an agenda item").click()
    page.get_by_label("Item", exact=True).fill(title)
    page.get_by_label("Minutes allotted").fill(minutes)
    page.get_by_role("button", name="Add item").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"“{title}” added to the agenda"
    )


def test_meeting_minutes_approval_and_the_action_on_the_plan(page, board):
    sign_in_with_keyboard(page, "coord-x@example.org")
    _schedule(page, "16", "1", "2018", "Town Hall")
    assert_accessible(page)
    assert _agenda_titles(page) == ["Minutes of the last meeting", "Matters arising"]

    # The agenda: two items, then the first moved down in place with htmx.
    _add_item(page, "Progress report", "20")
    _add_item(page, "Funding bid", "15")
    # htmx takes over the buttons on DOMContentLoaded; a key pressed before that on a
    # busy machine submits the form the old way and reloads the page.
    page.wait_for_load_state("load")
    page.evaluate("document.body.dataset.marker = 'same page'")
    down = page.get_by_role("button", name="Down Progress report")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#agenda-list > ol > li > strong").nth(2)).to_have_text(
        "Funding bid"
    )
    assert page.evaluate("document.body.dataset.marker") == "same page"
    # At the bottom now: focus moves to the item's other button.
    expect(page.get_by_role("button", name="Up Progress report")).to_be_focused()
    assert _agenda_titles(page)[2:] == ["Funding bid", "Progress report"]
    assert_accessible(page)

    # The meeting took place ("Record as held" still carries the current version).
    page.get_by_role("button", name="Record as held").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "recorded as held"
    )

    # Attendance, by keyboard: Space checks the focused radio.
    page.get_by_role("link", name="Record attendance").click()
    assert_accessible(page)
    for person, status in (("Coord-X", "Present"), ("Xena Staff", "Apologies")):
        group = page.get_by_role("group", name=re.compile(person))
        group.get_by_label(status).focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="Save attendance").click()
    attendance = page.locator("#attendance ~ table").first
    expect(attendance).to_contain_text("Coord-X")
    expect(attendance).to_contain_text("Apologies")
    expect(page.locator("main")).to_contain_text("Not quorate: 1 member present")

    # Minutes, then an action arising under "Progress report".
    page.get_by_role("button", name="Start the minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write the minutes")
    assert_accessible(page)
    page.get_by_label("4. Progress report").fill("The report was **noted**.")
    page.get_by_role("button", name="Save minutes").click()
    expect(page.locator("#minutes ~ div strong").first).to_have_text("noted")
    page.get_by_text("Add an action arising").click()
    form = page.locator("form[action$='/actions']")
    form.get_by_label("Agenda item").select_option(label="Progress report")
    form.get_by_label("Action", exact=True).fill("Draft the phase 2 bid")
    form.get_by_label("Owner").select_option(label="Xena Staff")
    form.get_by_label("Action plan theme").select_option(label="Prevention")
    page.locator("#action-due_date-day").fill("30")
    page.locator("#action-due_date-month").fill("3")
    page.locator("#action-due_date-year").fill("2018")
    form.get_by_role("button", name="Add action").click()
    actions = page.locator("#actions ~ table").first
    expect(actions).to_contain_text("Draft the phase 2 bid")
    page.get_by_role("button", name="Circulate to members").click()
    expect(page.locator("main")).to_contain_text("Circulated to members")
    first_url = page.url

    # The next meeting lists the open action under "Matters arising".
    _schedule(page, "13", "3", "2018", "Civic Centre")
    expect(page.locator("#agenda-list")).to_contain_text("Draft the phase 2 bid")
    page.get_by_role("button", name="Record as held").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "recorded as held"
    )

    # Back at the first meeting: approve its minutes at the second.
    page.goto(first_url)
    page.get_by_label("Approved at the meeting on").select_option(label="13 March 2018")
    page.get_by_role("button", name="Approve minutes").click()
    expect(page.locator("main")).to_contain_text("at the meeting on 13 March 2018")
    assert_accessible(page)
    db.session.expire_all()
    first = db.session.scalars(select_first_meeting()).one()
    assert first.minutes.status is MinutesStatus.APPROVED

    # The action is on the action plan, and knows where it came from.
    page.get_by_role("link", name="Draft the phase 2 bid").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Draft the phase 2 bid"
    )
    back = page.get_by_role("link", name="Partnership Board, 16 January 2018")
    expect(back).to_have_attribute(
        "href", f"/partnerships/x-partnership/meetings/{first.id}"
    )
    page.get_by_role("link", name="Plans", exact=True).click()
    page.get_by_role("link", name="Reducing offending 2015-18").click()
    expect(page.locator("#plan-actions")).to_contain_text("Draft the phase 2 bid")
    action = db.session.scalars(
        db.select(Action).where(Action.title == "Draft the phase 2 bid")
    ).one()
    assert meetings.meeting_of_action(action).id == first.id
    assert page.console_errors == []


def select_first_meeting():
    return db.select(Meeting).where(Meeting.place == "Town Hall")


def test_start_a_memorandum_with_another_party_row(page, board):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto("/partnerships/x-partnership/memoranda")
    page.get_by_role("link", name="Start a memorandum").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("New Routes memorandum")
    page.get_by_label("Purpose").fill("Reduce reoffending together")
    page.locator("#starts_on-day").fill("1")
    page.locator("#starts_on-month").fill("10")
    page.locator("#starts_on-year").fill("2015")
    for index, (organisation, role) in enumerate(
        (("X Lead Org", "Lead organisation"), ("X Partner Org", "Delivery partner"))
    ):
        page.locator(f"#parties-{index}-organisation").select_option(label=organisation)
        page.locator(f"#parties-{index}-role").fill(role)
    # Ask for a fourth party row: the page comes back with it focused.
    page.get_by_role("button", name="Add another party").click()
    expect(page.locator("#parties-3-organisation")).to_be_focused()
    expect(page.get_by_label("Purpose")).to_have_value("Reduce reoffending together")
    page.locator("#funding-0-organisation").select_option(label="X Lead Org")
    page.locator("#funding-0-amount").fill("25,000")
    page.locator("#funding-0-period").fill("2015-17")
    # Enter in a text box saves the draft; it does not add another row.
    page.locator("#funding-0-caveat").fill("subject to budget approval")
    page.locator("#funding-0-caveat").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("New Routes memorandum")
    expect(page.locator("main")).to_contain_text(
        "£25,000 for 2015-17 (subject to budget approval)"
    )
    assert_accessible(page)
    db.session.expire_all()
    agreement = db.session.scalars(db.select(Agreement)).one()
    assert len(agreement.versions[0].parties) == 2
    assert page.console_errors == []


def test_set_up_a_group_with_members_and_the_quorum(page, board):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto("/partnerships/x-partnership/meetings")
    page.get_by_role("link", name="Boards, groups and quorum").click()
    assert_accessible(page)
    page.get_by_label("Quorum", exact=True).fill("3")
    page.get_by_label("Counting").select_option(label="organisations present")
    page.get_by_role("button", name="Save quorum").click()
    expect(page.locator("#quorum + p")).to_contain_text(
        "Quorum: 3 organisations present"
    )
    page.get_by_label("Name").fill("Prevention Delivery Group")
    page.get_by_label("Board or group").select_option(label="Group")
    page.get_by_label("Xena Staff, X Partner Org").first.check()
    page.get_by_role("button", name="Add", exact=True).click()
    group = page.get_by_role("heading", name=re.compile("Prevention Delivery Group"))
    expect(group).to_be_visible()
    expect(page.locator("main")).to_contain_text("Xena Staff, X Partner Org")
    assert_accessible(page)
    assert page.console_errors == []
