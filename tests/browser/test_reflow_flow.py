"""At 320 CSS pixels (a phone, or 400% zoom of a 1280 pixel window) the pages with
wide tables need no sideways scrolling: each table scrolls in its own labelled,
focusable region (WCAG 1.4.10), and axe-core still finds nothing."""

from datetime import date

import pytest
from playwright.sync_api import expect

from governance import summary as summaries
from portal.extensions import db
from tests.browser_helpers import assert_accessible
from tests.browser_helpers import assert_reflows
from tests.browser_helpers import sign_in_with_keyboard
from tests.results_world import add_published_answers
from tests.results_world import build_results_world
from tests.summary_world import build_summary_world

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}


def _check(tab, path: str) -> None:
    tab.goto(path)
    tab.wait_for_load_state("load")
    assert_reflows(tab)
    for region in tab.locator(".portal-table-scroll").all():
        expect(region).to_have_attribute("role", "region")
        expect(region).to_have_attribute("tabindex", "0")
    assert_accessible(tab)
    assert tab.console_errors == []


def test_board_summary_reflows(new_browser, plan):
    world = build_summary_world(plan)
    made = summaries.create_draft(
        world["x"], meeting=world["april"], by=world["x_coordinator"]
    )
    db.session.commit()
    tab = new_browser(viewport=PHONE)
    sign_in_with_keyboard(tab, "coord-x@example.org")
    _check(tab, f"/partnerships/x-partnership/summaries/{made.id}")


def test_results_reflow(new_browser, world):
    add_published_answers(build_results_world(world))
    db.session.commit()
    tab = new_browser(viewport=PHONE)
    sign_in_with_keyboard(tab, "board-x@example.org")
    _check(tab, "/surveys/x-results/results")
    _check(tab, "/surveys/x-results/results?by=sector")


def test_wave_page_reflows(new_browser, open_wave):
    tab = new_browser(viewport=PHONE)
    sign_in_with_keyboard(tab, "coord-x@example.org")
    _check(tab, f"/surveys/{open_wave.survey.slug}/waves/1")


def test_progress_page_reflows(new_browser, plan, make_action):
    make_action(ref="P1", title="Early help hubs", due_date=date(2016, 3, 31))
    db.session.commit()
    tab = new_browser(viewport=PHONE)
    sign_in_with_keyboard(tab, "coord-x@example.org")
    _check(tab, "/plans/x-plan/progress?as_of=2017-12-31")
