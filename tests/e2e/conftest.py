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
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
