"""Helpers for the browser tests: axe-core's accessibility check, and signing in
with the keyboard alone."""

from pathlib import Path

from playwright.sync_api import expect

from portal import ROOT
from tests.helpers import PASSWORD

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(tab) -> None:
    """Run axe-core in the page; fail on any serious or critical violation."""
    tab.evaluate(Path(AXE).read_text())
    result = tab.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)


def sign_in_with_keyboard(page, email: str) -> None:
    page.goto("/auth/login")
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(page.locator(".govuk-skip-link")).to_be_focused()
    page.get_by_label("Email address").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your partnerships")).to_be_visible()


def assert_reflows(tab, width: int = 320) -> None:
    """The page needs no sideways scrolling at ``width`` CSS pixels (WCAG 1.4.10).

    On failure, name the elements that stick out, outside any scrolling region.
    """
    page_width = tab.evaluate("document.documentElement.scrollWidth")
    wide = tab.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > width
            && !el.closest('.portal-table-scroll'))
          .slice(0, 8)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}#${el.id}`
            + ` ${Math.round(el.getBoundingClientRect().right)}px`)""",
        width,
    )
    assert page_width <= width, f"the page is {page_width} pixels wide: {wide}"
