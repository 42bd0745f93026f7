"""During fieldwork the wave page's response rates stay still until the coordinator
asks for new figures (WCAG 2.2.2): the refresh keeps focus and says what changed."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard

pytestmark = pytest.mark.browser


def test_response_rates_refresh_only_on_request(page, open_wave):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto(f"/surveys/{open_wave.survey.slug}/waves/1")
    page.wait_for_load_state("load")
    rates = page.locator("#rates")
    expect(rates).to_contain_text("0 of 1 invited people have submitted")
    assert page.locator("[hx-trigger*=every]").count() == 0

    (invitation,) = open_wave.invitations
    invitation.completed = True
    db.session.commit()
    page.wait_for_timeout(500)
    expect(rates).to_contain_text("0 of 1")  # nothing moves by itself

    refresh = page.get_by_role("button", name="Refresh the figures")
    refresh.focus()
    page.keyboard.press("Enter")
    expect(rates).to_contain_text("1 of 1 invited people have submitted")
    expect(refresh).to_be_focused()
    expect(page.locator("#portal-live")).to_contain_text(
        "Response rates refreshed: 1 of 1"
    )
    assert_accessible(page)
    assert page.console_errors == []
