"""Keyboard users keep their place through every inline htmx swap: opening an edit
row, saving it, cancelling it; and two open rows never share an id."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import sign_in_with_keyboard
from tests.helpers import build_survey

pytestmark = pytest.mark.browser


def _open_save_cancel(page, row_id: str, edit_name: str, field_label: str) -> None:
    """Enter on Edit focuses the form; Save and Cancel give focus back to Edit."""
    page.wait_for_load_state("load")
    row = page.locator(f"#{row_id}")
    row.get_by_role("link", name=edit_name).focus()
    page.keyboard.press("Enter")
    expect(row.get_by_label(field_label, exact=True)).to_be_focused()
    expect(page.locator("#portal-live")).to_contain_text("Editing")
    assert_accessible(page)

    page.keyboard.press("Tab")
    assert row.evaluate("(el) => el.contains(document.activeElement)")

    row.get_by_role("button", name=re.compile("^Save")).focus()
    page.keyboard.press("Enter")
    edit = row.get_by_role("link", name=edit_name)
    expect(edit).to_be_focused()
    expect(page.locator("#portal-live")).to_contain_text("saved")

    page.keyboard.press("Enter")
    expect(row.get_by_label(field_label, exact=True)).to_be_focused()
    row.get_by_role("link", name="Cancel").focus()
    page.keyboard.press("Enter")
    expect(edit).to_be_focused()
    expect(page.locator("#portal-live")).to_contain_text("nothing was changed")


def _open_every_row(page, id_start: str) -> None:
    """Open every editable row at once: their fields still have ids of their own."""
    for row in page.locator(f"tr[id^={id_start}]").all():
        link = row.get_by_role("link", name=re.compile("^Edit"))
        if link.count():
            link.click()
            expect(row.locator("form")).to_be_visible()
    assert page.locator("tr form").count() >= 2
    _ids_are_unique(page)
    assert_accessible(page)


def _ids_are_unique(page) -> None:
    duplicates = page.evaluate(
        """() => {
          const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
          return ids.filter((id, i) => ids.indexOf(id) !== i);
        }"""
    )
    assert duplicates == []


def test_focus_follows_inline_edits_of_organisations(page, world):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto("/organisations")
    org = world["x_partner"]
    _open_save_cancel(
        page, f"organisation-{org.id}", "Edit X Partner Org", "Name of X Partner Org"
    )

    # A refused save moves focus to the row's error summary.
    row = page.locator(f"#organisation-{org.id}")
    row.get_by_role("link", name="Edit X Partner Org").press("Enter")
    name = row.get_by_label("Name of X Partner Org")
    # Focus lands in the field once the swap has settled; typing before that can be
    # lost to the swap on a busy machine.
    expect(name).to_be_focused()
    name.fill("")
    row.get_by_role("button", name=re.compile("^Save")).press("Enter")
    expect(row.locator(".govuk-error-summary")).to_be_focused()
    row.get_by_role("link", name="Cancel").press("Enter")
    expect(row.get_by_role("link", name="Edit X Partner Org")).to_be_focused()

    _open_every_row(page, "organisation-")


def test_focus_follows_inline_edits_of_people(page, world):
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto("/people")
    person = world["x_person"]
    _open_save_cancel(page, f"person-{person.id}", "Edit Xena Staff", "Full name")

    _open_every_row(page, "person-")


def test_focus_follows_inline_edits_of_survey_questions(page, world):
    survey = build_survey(world["x"])
    db.session.commit()
    first, second = survey.items[:2]
    sign_in_with_keyboard(page, "coord-x@example.org")
    page.goto(f"/surveys/{survey.slug}/questionnaire")
    _open_save_cancel(page, f"item-{first.id}", f"Edit {first.code}", "Question")

    for item in (second, first):
        row = page.locator(f"#item-{item.id}")
        row.get_by_role("link", name=re.compile("^Edit")).click()
        expect(row.get_by_role("button", name=re.compile("^Save"))).to_be_visible()
    _ids_are_unique(page)
    assert_accessible(page)
