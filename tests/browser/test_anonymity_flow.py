"""A coordinator looks at an open anonymous wave by keyboard: whose status changed is
shown, but the answers wait for the close and the results say how many are held."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard
from tests.helpers import ANON_SLUG
from tests.helpers import submit_answers
from tests.helpers import submit_others

pytestmark = pytest.mark.browser


def test_open_anonymous_wave_keeps_answers_back_t30(page, anon_world):
    submit_others(anon_world, 10)
    submit_answers(anon_world, anon_world["pat"], "5", "Only Pat would say this")
    sign_in_with_keyboard(page, "coord-x@example.org")

    page.goto(f"/surveys/{ANON_SLUG}/waves/1")
    expect(page.locator("tr", has_text="Pat Named")).to_contain_text("Submitted")
    expect(page.locator("#answers-closed")).to_contain_text(
        "can be downloaded once the wave closes"
    )
    expect(page.get_by_role("link", name=re.compile("Download answers"))).to_have_count(
        0
    )
    assert_accessible(page)

    # Keyboard only: from the wave page to the survey, then to its results.
    survey_link = page.get_by_role("link", name="X partner survey")
    survey_link.focus()
    page.keyboard.press("Enter")
    results_link = page.get_by_role("link", name="Results", exact=True)
    results_link.focus()
    page.keyboard.press("Enter")
    held = page.locator("#held-1")
    expect(held).to_contain_text("its results include 5 of the 11 responses so far")
    expect(page.get_by_text("Only Pat would say this")).to_have_count(0)
    assert_accessible(page)
    assert page.console_errors == []
