"""A coordinator works the action plan in Chromium: filters it (htmx), changes a
status inline, carries an action forward, and sees the completion rate move on
the progress page; axe-core checks the plan and progress pages."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from governance import plans
from governance.models import Action
from governance.models import ActionStatus
from portal import clock
from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def four(plan, make_action):
    """Three actions due long ago (one completed, one in progress, one not started)
    and one due far ahead."""
    themes, groups = plan["themes"], plan["groups"]
    made = {
        "P1": make_action(
            ref="P1",
            title="Early help hubs",
            due_date=date(2016, 3, 31),
            status=ActionStatus.COMPLETED,
            progress_pct=100,
        ),
        "P2": make_action(
            ref="P2",
            title="Family support workers",
            due_date=date(2017, 3, 31),
            status=ActionStatus.IN_PROGRESS,
        ),
        "D1": make_action(
            ref="D1",
            title="Diversion scheme for young adults",
            theme=themes["Diversion"],
            delivery_group=groups["Diversion"],
            due_date=date(2017, 3, 31),
        ),
        "D2": make_action(
            ref="D2",
            title="Restorative justice panels",
            theme=themes["Diversion"],
            delivery_group=groups["Diversion"],
            due_date=date(2099, 3, 31),
        ),
    }
    return {**plan, **made}


def _sign_in(tab, email: str) -> None:
    tab.goto("/auth/login")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Your partnerships")).to_be_visible()


def _completion(tab):
    return tab.locator("#completion")


def test_filter_update_inline_carry_forward_and_see_completion_change(page, four):
    today = plans.day_text(clock.today())
    _sign_in(page, "coord-x@example.org")
    page.get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="Reducing offending 2015-18").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Reducing offending 2015-18"
    )
    expect(page.locator("#plan-count")).to_contain_text("Showing 4 of 4 actions")
    assert_accessible(page)

    # Before: 1 of the 3 actions due by today is complete.
    page.get_by_role("link", name="Progress", exact=True).click()
    expect(_completion(page)).to_contain_text(
        f"1 of 3 actions due by {today} completed, 33.3%"
    )
    page.go_back()

    # Filter with htmx: the table changes in place and the address follows.
    page.wait_for_load_state("load")  # htmx is ready
    page.evaluate("document.body.dataset.marker = 'same page'")
    page.get_by_label("Theme", exact=True).select_option(label="Prevention")
    expect(page).to_have_url(re.compile(r"theme=\d+"))
    expect(page.locator("#plan-count")).to_contain_text("Showing 2 of 4 actions")
    table = page.locator("#plan-actions")
    expect(table).to_contain_text("Family support workers")
    expect(table).not_to_contain_text("Diversion scheme")
    assert page.evaluate("document.body.dataset.marker") == "same page"

    # Complete P2 from its row: only the row is swapped, focus stays on Save.
    row = page.locator(f"#action-{four['P2'].id}")
    row.get_by_label("Status of P2").select_option("completed")
    row.get_by_role("button", name="Save status of P2").click()
    expect(page.locator(f"#action-{four['P2'].id}")).to_contain_text("Saved")
    expect(page.get_by_role("button", name="Save status of P2")).to_be_focused()
    assert page.evaluate("document.body.dataset.marker") == "same page"
    db.session.expire_all()
    assert db.session.get(Action, four["P2"].id).status is ActionStatus.COMPLETED
    assert_accessible(page)

    page.get_by_role("link", name="Progress", exact=True).click()
    expect(_completion(page)).to_contain_text(
        f"2 of 3 actions due by {today} completed, 66.7%"
    )

    # Carry D1 forward into a later period: it is no longer due.
    page.get_by_role("link", name="Actions", exact=True).click()
    page.get_by_role("link", name="D1", exact=True).click()
    page.get_by_role("link", name="Carry forward").click()
    page.locator("#new_due_date-day").fill("31")
    page.locator("#new_due_date-month").fill("3")
    page.locator("#new_due_date-year").fill("2099")
    page.get_by_label("Why it is carried forward").fill(
        "The provider withdrew; recommissioning in the next period"
    )
    page.get_by_role("button", name="Carry forward").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("D1")
    expect(page.locator("main")).to_contain_text("carried forward 1x")
    expect(page.locator("main")).to_contain_text("originally due 31 March 2017")

    page.get_by_role("link", name="Reducing offending 2015-18").click()
    page.get_by_role("link", name="Progress", exact=True).click()
    expect(_completion(page)).to_contain_text(
        f"2 of 2 actions due by {today} completed, 100.0%"
    )
    # The chart is described for screen readers, and its numbers are in a table.
    expect(
        page.get_by_role("img", name=re.compile("by theme and status"))
    ).to_be_visible()
    expect(page.locator("#table-theme")).to_contain_text("Prevention")
    assert_accessible(page)

    # As at the end of 2017, from the history: P2 was then still in progress.
    page.locator("#as_of-day").fill("31")
    page.locator("#as_of-month").fill("12")
    page.locator("#as_of-year").fill("2017")
    page.get_by_role("button", name="Show progress").click()
    expect(_completion(page)).to_contain_text(
        "1 of 3 actions due by 31 December 2017 completed, 33.3%"
    )
    assert page.console_errors == []


def test_plan_filters_and_status_work_without_javascript(new_browser, four):
    tab = new_browser(java_script_enabled=False)
    _sign_in(tab, "coord-x@example.org")
    tab.goto("/plans/x-plan")
    tab.get_by_label("Status", exact=True).select_option("in progress")
    tab.get_by_role("button", name="Show actions").click()
    expect(tab).to_have_url(re.compile(r"status=in\+progress"))
    expect(tab.locator("#plan-count")).to_contain_text("Showing 1 of 4 actions")
    row = tab.locator(f"#action-{four['P2'].id}")
    row.get_by_label("Status of P2").select_option("completed")
    row.get_by_role("button", name="Save status of P2").click()
    # Back on the same filtered plan, with a message; P2 no longer matches.
    expect(tab).to_have_url(re.compile(r"status=in\+progress"))
    expect(tab.locator(".govuk-notification-banner")).to_contain_text(
        "P2 is now “Completed”"
    )
    expect(tab.locator("#plan-count")).to_contain_text("Showing 0 of 4 actions")
    assert tab.console_errors == []


def test_progress_page_fits_a_phone_screen(new_browser, four):
    """At 375 pixels wide the progress page needs no sideways scrolling: the
    tables have three columns and the charts scale to the width."""
    tab = new_browser(viewport={"width": 375, "height": 800})
    _sign_in(tab, "coord-x@example.org")
    tab.goto("/plans/x-plan/progress?as_of=2017-12-31")
    expect(_completion(tab)).to_contain_text("due by 31 December 2017")
    expect(tab.locator("#table-theme")).to_be_visible()
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} pixels wide"
    for chart in tab.locator("svg.portal-chart").all():
        box = chart.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
    assert_accessible(tab)
    assert tab.console_errors == []


def test_wide_plan_tables_scroll_in_their_own_box_on_a_phone(new_browser, four):
    """The plan's table keeps all its columns on a phone: it scrolls sideways in a
    focusable region, and the page itself does not."""
    tab = new_browser(viewport={"width": 375, "height": 800})
    _sign_in(tab, "coord-x@example.org")
    for path in ("/plans/x-plan", "/plans/x-plan/structure"):
        tab.goto(path)
        region = tab.locator(".portal-table-scroll").first
        expect(region).to_be_visible()
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} pixels wide"
        assert_accessible(tab)
    assert tab.console_errors == []
