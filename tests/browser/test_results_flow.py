"""A board member reads a survey's results: charts and tables, a breakdown chosen
with htmx, the same choice without JavaScript, and axe-core on both."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser_helpers import assert_accessible
from tests.helpers import PASSWORD
from tests.results_world import OTHER_ROLES
from tests.results_world import add_published_answers
from tests.results_world import build_results_world

pytestmark = pytest.mark.browser


@pytest.fixture
def published(world):
    """X's survey with seed 002's answers in three waves."""
    w = build_results_world(world)
    add_published_answers(w)
    return w


def _sign_in(tab, email: str) -> None:
    tab.goto("/auth/login")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Your partnerships")).to_be_visible()


def test_board_member_reads_results_and_breaks_them_down(page, published):
    _sign_in(page, "board-x@example.org")
    page.goto("/surveys/x-results")
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results")
    chart = page.get_by_role("img", name=re.compile(re.escape(OTHER_ROLES)))
    expect(chart).to_be_visible()
    section = page.locator("#item-other_roles")
    expect(section.get_by_role("row").nth(3)).to_contain_text("63")
    assert_accessible(page)

    # htmx: choosing a breakdown swaps the results in place and updates the address.
    page.wait_for_load_state("load")  # htmx is ready
    page.evaluate("document.body.dataset.marker = 'same page'")
    page.get_by_label("Break down by").select_option("sector")
    expect(page).to_have_url(re.compile(r"by=sector"))
    expect(page.locator("#item-other_roles")).to_contain_text("Third sector")
    assert page.evaluate("document.body.dataset.marker") == "same page"
    expect(page.get_by_label("Break down by")).to_have_value("sector")
    assert_accessible(page)
    assert page.console_errors == []


def test_results_form_works_without_javascript(new_browser, published):
    tab = new_browser(java_script_enabled=False)
    _sign_in(tab, "board-x@example.org")
    tab.goto("/surveys/x-results/results")
    # Every wave is ticked at first; compare the first two only.
    expect(tab.get_by_label("Wave 3 (Jun 2015)")).to_be_checked()
    tab.get_by_label("Wave 3 (Jun 2015)").uncheck()
    tab.get_by_role("button", name="Show results").click()
    expect(tab).to_have_url(re.compile(r"waves=1&waves=2"))
    section = tab.locator("#item-other_roles")
    expect(section).to_contain_text("66")
    expect(section).not_to_contain_text("63")
    assert tab.console_errors == []
