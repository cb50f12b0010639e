"""Real-browser fixtures: Playwright's sync API driving Debian's chromium against
pytest-django's live server.

Playwright runs an event loop in the test thread, and Django refuses database access from a
thread with a running loop unless told the code is synchronous on purpose."""

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update"]
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
        if os.environ.get("QARION_REQUIRE_BROWSER") == "1":
            pytest.fail(f"QARION_REQUIRE_BROWSER=1 but {reason}.")
        pytest.skip(f"Browser tests skipped: {reason}.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """``open_page(viewport=...)`` → a fresh page in its own browser context (own cookies)."""
    contexts = []

    def _open(viewport=None):
        context = browser.new_context(viewport=viewport or LAPTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # No HTTP cache: a static file changed moments before the run (a fresh checkout) would
        # otherwise be revalidated through Chromium's heuristic freshness and answer 304.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        return page

    yield _open
    for context in contexts:
        context.close()


def log_in(page, live_server, username, next_path):
    """Log in through the login form and land on ``next_path``."""
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{next_path}")


@pytest.fixture
def page_as(open_page, live_server):
    """``page_as("editor", "/path/")`` → a page of a fresh browser context, logged in as that
    user and showing ``/path/``."""
    def _open(username, next_path, viewport=None):
        page = open_page(viewport=viewport)
        log_in(page, live_server, username, next_path)
        return page
    return _open
