"""A board member reads the published progress summary in Chromium: finds it in the
menu, follows a figure to the page it comes from, and prints it (print layout and
page numbers); axe-core checks the summary page and the coordinator's draft."""

import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from governance import summary as summaries
from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.helpers import PASSWORD
from tests.summary_world import build_summary_world

pytestmark = pytest.mark.browser

HEADLINE = "42 of 53 actions due by 31 March 2018 completed, 79%"


@pytest.fixture
def published(plan):
    """X's April 2018 summary, published; and a draft for the meeting after."""
    world = build_summary_world(plan)
    made = summaries.create_draft(
        world["x"], meeting=world["april"], by=world["x_coordinator"]
    )
    db.session.flush()
    summaries.publish(
        made,
        meeting=None,
        opened_version=made.version,
        by=world["x_coordinator"],
        today=date(2018, 4, 10),
    )
    draft = summaries.create_draft(
        world["x"], as_of=date(2018, 6, 30), by=world["x_coordinator"]
    )
    db.session.commit()
    return {**world, "summary": made, "draft": draft}


def _sign_in(tab, email: str) -> None:
    tab.goto("/auth/login")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Your partnerships")).to_be_visible()


def test_a_board_member_reads_follows_a_figure_and_prints(page, published):
    summary = published["summary"]
    _sign_in(page, "board-x@example.org")
    page.get_by_role("link", name="Summaries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress summaries")
    page.get_by_role("link", name=summary.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(summary.title)
    expect(page.locator("#status")).to_contain_text("Frozen as presented")
    expect(page.locator("#figure-completion")).to_have_text(HEADLINE)
    # Charts are images with a text alternative, and their numbers are in tables.
    expect(
        page.get_by_role("img", name=re.compile("by theme and status"))
    ).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("answers to the headline questions"))
    ).to_be_visible()
    expect(page.locator("#table-theme")).to_contain_text("Prevention")
    expect(page.locator("#table-headline")).to_contain_text(
        "The partnership has a clear vision"
    )
    assert_accessible(page)

    # A figure leads to the page it comes from, which shows the same numbers.
    page.get_by_role("link", name=HEADLINE).click()
    expect(page).to_have_url(re.compile(r"/plans/x-plan/progress\?as_of=2018-03-31"))
    expect(page.locator("#completion")).to_contain_text(
        "42 of 53 actions due by 31 March 2018 completed, 79.2%"
    )
    page.go_back()
    page.locator("#table-changes").get_by_role(
        "link", name="Partners trust each other"
    ).click()
    expect(page).to_have_url(re.compile(r"/surveys/x-survey/results\?waves=1&waves=2"))
    expect(page.locator("#item-trust")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(summary.title)

    # Print: no menu, no buttons or links to other pages, each part on a new page.
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator("#summary-links")).to_be_hidden()
    expect(page.locator(".govuk-footer")).to_be_hidden()
    expect(page.locator("#figure-completion")).to_be_visible()
    breaks = page.evaluate(
        """() => [...document.querySelectorAll('.portal-summary__section')]
                 .map(s => getComputedStyle(s).breakBefore)"""
    )
    assert breaks == ["auto", "page", "page", "page", "page"]
    link_suffix = page.evaluate(
        """() => getComputedStyle(
                 document.querySelector('#figure-completion a'), '::after').content"""
    )
    assert link_suffix in ("none", "normal", "")
    printed = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(printed.pages) >= 4
    first = printed.pages[0].extract_text()
    assert summary.title.split(",")[0] in re.sub(r"\s+", " ", first)
    assert "Page 1 of" in first
    text = " ".join(p.extract_text() for p in printed.pages)
    assert HEADLINE in re.sub(r"\s+", " ", text)
    assert "Sign out" not in text
    page.emulate_media(media="screen")

    # The PDF download is there too.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert not page.console_errors


def test_a_coordinator_edits_the_draft_text_and_the_page_is_accessible(page, published):
    draft = published["draft"]
    _sign_in(page, "coord-x@example.org")
    page.goto(f"/partnerships/x-partnership/summaries/{draft.id}")
    expect(page.locator("#status")).to_contain_text("The figures are live")
    assert_accessible(page)
    page.get_by_role("link", name="Edit the text of the summary").click()
    field = page.get_by_label("Summary text")
    field.fill("The board is asked to note the progress.\n\nTwo risks remain.")
    page.get_by_role("button", name="Save the text").click()
    expect(page.locator("#summary-text")).to_contain_text(
        "The board is asked to note the progress."
    )
    expect(page.locator("#summary-text")).to_contain_text("Two risks remain.")
    assert_accessible(page)
    page.goto(
        "/partnerships/x-partnership/summaries/compare"
        f"?a={published['summary'].id}&b={draft.id}"
    )
    expect(page.locator("#comparison")).to_contain_text("Completion rate")
    assert_accessible(page)
    assert not page.console_errors
