"""People click through: sign in, edit an organisation inline, import a CSV with a bad row."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation
from portal.models import Person
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard

BAD_CSV = (
    "name,email,job_title,organisation,partnership,role\n"
    "Ann One,ann@example.org,Officer,X Partner Org,x-partnership,partner contact\n"
    "Bad Row,not-an-email,Officer,Nowhere Ltd,,\n"
)
GOOD_CSV = BAD_CSV.splitlines()[0] + "\n" + BAD_CSV.splitlines()[1] + "\n"


def test_wrong_password_shows_error_summary(page, world):
    page.goto("/auth/login")
    page.get_by_label("Email address").fill("coord-x@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct email address and password"
    )
    assert_accessible(page)


def test_sign_in_edit_organisation_inline_and_import_people(page, world):
    sign_in_with_keyboard(page, "coord-x@example.org")
    assert_accessible(page)

    page.get_by_role("link", name="Organisations").click()
    assert_accessible(page)
    org = world["x_partner"]
    row = page.locator(f"#organisation-{org.id}")
    row.get_by_role("link", name="Edit X Partner Org").click()
    name = row.get_by_label("Name of X Partner Org")
    expect(name).to_be_visible()
    assert page.url.endswith("/organisations")  # edited in place, no navigation
    assert_accessible(page)
    name.fill("")
    row.get_by_role("button", name="Save organisation").click()
    expect(
        page.locator(f"#organisation-{org.id} .govuk-error-summary")
    ).to_contain_text("Enter the organisation")
    page.locator(f"#organisation-{org.id}").get_by_label(re.compile("Name of")).fill(
        "X Partner Trust"
    )
    page.locator(f"#organisation-{org.id}").get_by_role(
        "button", name="Save organisation"
    ).click()
    expect(page.locator(f"#organisation-{org.id}")).to_contain_text("Saved")
    expect(page.locator(f"#organisation-{org.id}")).to_contain_text("X Partner Trust")
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).name == "X Partner Trust"

    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_role("link", name="Import people from CSV").click()
    assert_accessible(page)
    page.get_by_label("People CSV file").set_input_files(
        files=[
            {
                "name": "people.csv",
                "mimeType": "text/csv",
                "buffer": BAD_CSV.replace("X Partner Org", "X Partner Trust").encode(),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("nothing has been imported")
    expect(summary).to_contain_text("Row 3")
    expect(page.locator("#row-3")).to_contain_text("is not a valid address")
    expect(page.locator("#row-3")).to_contain_text("Nowhere Ltd")
    expect(page.get_by_role("button", name=re.compile("Import"))).to_have_count(0)
    assert_accessible(page)
    db.session.expire_all()
    assert (
        db.session.scalar(select(Person).where(Person.email == "ann@example.org"))
        is None
    )

    page.get_by_role("link", name="upload it again").click()
    page.get_by_label("People CSV file").set_input_files(
        files=[
            {
                "name": "people.csv",
                "mimeType": "text/csv",
                "buffer": GOOD_CSV.replace("X Partner Org", "X Partner Trust").encode(),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 1 people").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "1 people imported"
    )
    expect(page.locator("#person-rows")).to_contain_text("Ann One")
    assert page.console_errors == []


def test_live_search_swaps_rows(page, world):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto("/people")
    page.get_by_label("Search people").fill("xena")
    expect(page.locator("#person-rows")).to_contain_text("Xena Staff")
    expect(page.locator("#person-rows")).not_to_contain_text("Contact-X")
    assert "q=xena" in page.url or page.url.endswith("/people")
    assert page.console_errors == []


def test_htmx_is_locked_down_in_the_browser(page, world):
    sign_in_with_keyboard(page, "coord-x@example.org")
    # htmx merges the meta config once the document has loaded.
    page.wait_for_load_state("load")
    config = page.evaluate(
        "() => ({eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags, self: htmx.config.selfRequestsOnly, cache: htmx.config.historyCacheSize})"
    )
    assert config == {"eval": False, "scripts": False, "self": True, "cache": 0}
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('htmx-history-cache')") in (
        None,
        "[]",
    )
