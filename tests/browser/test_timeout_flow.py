"""GOV.UK's time-out warning (WCAG 2.2.1): a modal dialog before an idle session
ends, "Stay signed in" that keeps it, and text typed but not saved kept through the
sign-out and put back after signing in again."""

import re
import time

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard
from tests.helpers import PASSWORD
from tests.helpers import build_survey

pytestmark = pytest.mark.browser

TYPED = "How well do partners share data?"


def test_time_out_warning_stay_signed_in_then_sign_out_keeps_typed_text(
    app, page, world
):
    survey = build_survey(world["x"])
    db.session.commit()
    new_question = f"/surveys/{survey.slug}/sections/{survey.sections[0].id}/items"
    sign_in_with_keyboard(page, "coord-x@example.org")
    # Six seconds idle: the warning comes after three.
    app.config["SESSION_IDLE_MINUTES"] = 0.1
    page.goto(new_question)
    page.wait_for_load_state("load")
    loaded = time.monotonic()
    page.get_by_label("Question", exact=True).fill(TYPED)

    dialog = page.get_by_role("dialog", name=re.compile("about to be signed out"))
    expect(dialog).to_be_visible(timeout=6000)
    expect(dialog.get_by_role("heading")).to_be_focused()
    expect(dialog).to_contain_text(re.compile(r"sign you out in \d second"))
    assert_accessible(page)

    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#portal-live")).to_contain_text("still signed in")
    # Past the first deadline, still here: the session was extended.
    page.wait_for_timeout(max(0, 7000 - (time.monotonic() - loaded) * 1000))
    assert page.url.endswith(new_question)

    expect(dialog).to_be_visible(timeout=6000)
    expect(page).to_have_url(re.compile(r"/auth/login\?.*timed_out=1"), timeout=8000)
    expect(page.locator("#timed-out")).to_contain_text("We signed you out")
    assert_accessible(page)

    page.get_by_label("Email address").fill("coord-x@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    app.config["SESSION_IDLE_MINUTES"] = 30
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(new_question)))
    expect(page.get_by_label("Question", exact=True)).to_have_value(TYPED)
    expect(page.locator("#portal-live")).to_contain_text("is back")
    assert page.console_errors == []
