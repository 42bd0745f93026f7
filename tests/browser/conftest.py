"""A live portal on a loopback port and Debian's Chromium driven by Playwright."""

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from portal.extensions import db
from surveys import fieldwork
from surveys import services
from tests.browser_helpers import AXE
from tests.helpers import TODAY
from tests.helpers import build_survey

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None or not AXE.is_file():
        reason = "Chromium (apt install chromium) or node_modules/axe-core is missing"
        if os.environ.get("CI") or os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests cannot run: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve the test app on a free loopback port for the duration of a test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Track request threads, so a response still streaming a static file when the test
    # ends finishes (and closes its file) before the next test starts.
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


def _recording_tab(context):
    """A new tab in ``context`` that records console errors (CSP violations show up there)."""
    tab = context.new_page()
    tab.console_errors = []
    # Chromium logs every 4xx as "Failed to load resource"; a 422 form answer is expected.
    tab.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text
            and tab.console_errors.append(message.text)
        ),
    )
    return tab


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page that records console errors (CSP violations show up there)."""
    context = browser.new_context(base_url=live_server)
    yield _recording_tab(context)
    context.close()


@pytest.fixture
def new_browser(browser, live_server):
    """Open a new tab in a browser with no cookies (a browser closed and opened again).

    ``new_browser(java_script_enabled=False)`` gives one without JavaScript. Close
    the tab's context to "close the browser"; any left open are closed afterwards.
    """
    contexts = []

    def _open(**options):
        context = browser.new_context(base_url=live_server, **options)
        contexts.append(context)
        return _recording_tab(context)

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def open_wave(world):
    """Wave 1 of X's survey, in fieldwork, with Xena sampled and invited."""
    survey = build_survey(world["x"])
    db.session.flush()
    wave = services.add_wave(
        survey, opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=14)
    )
    db.session.flush()
    fieldwork.add_person(wave, world["x_person"])
    fieldwork.queue_invitations(wave, TODAY)
    db.session.commit()
    fieldwork.send_due()
    return wave
