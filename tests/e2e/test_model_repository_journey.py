import re

import pytest

from tests.conftest import PASSWORD, make_record

pytestmark = pytest.mark.e2e

BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"  # --bs-primary of Bootstrap 5.3
QARION_BACKGROUND = "rgb(246, 247, 249)"  # body background from static/css/qarion.css


def log_in(page, live_server, username, next_path):
    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{next_path}")


def computed(page, selector, prop):
    return page.eval_on_selector(selector, f"el => getComputedStyle(el).getPropertyValue('{prop}')")


def test_an_editor_browses_filters_opens_and_creates_a_record(world, live_server, open_page):
    make_record(actor=world.editor, space=world.lab, name="Support bot", model_family="genai", task_type="llm",
                risk_classification="limited")
    page = open_page()
    static_failures = []
    page.on("response", lambda r: static_failures.append(r.url) if "/static/" in r.url and r.status != 200 else None)

    # Log in through the form; the login page sends us on to the space page we asked for.
    log_in(page, live_server, "editor", "/s/lab/models/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Lab")

    # The vendored Bootstrap and our stylesheet are really served and applied.
    assert computed(page, "a.btn-primary", "background-color") == BOOTSTRAP_PRIMARY
    assert computed(page, "body", "background-color") == QARION_BACKGROUND
    assert static_failures == []

    table = page.locator("table.record-table tbody")
    assert table.get_by_role("link", name="Churn predictor").is_visible()
    assert table.get_by_role("link", name="Support bot").is_visible()

    # Filter by family: ticking the box submits the panel (progressive enhancement).
    page.locator("details.filter-group", has_text="Model family").locator("summary").click()
    with page.expect_navigation():
        page.get_by_label("GenAI").check()
    assert "model_family=genai" in page.url
    assert table.get_by_role("link", name="Support bot").is_visible()
    assert table.get_by_role("link", name="Churn predictor").count() == 0
    assert page.get_by_label("GenAI").is_checked()

    # Open the record.
    table.get_by_role("link", name="Support bot").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Support bot")
    assert page.locator("header .badge-risk", has_text="Limited").is_visible()
    page.get_by_role("link", name="Versions").click()
    assert page.get_by_text("No versions yet").is_visible()

    # Create a record through the form; a bad JSON schema comes back first, then it is fixed.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Lab").click()
    page.get_by_role("link", name="New model").first.click()
    page.wait_for_url(f"{live_server.url}/s/lab/models/new/")
    page.get_by_label("Name").fill("Demand forecaster")
    page.get_by_label("Model family").select_option("traditional_ml")
    page.get_by_label("Task type").select_option("forecasting")
    page.get_by_label("Risk classification (EU AI Act)").select_option("minimal")
    page.get_by_label("Tags").fill("retail, forecasting")
    page.get_by_label("Input schema").fill("{not json")
    page.get_by_role("button", name="Create model").click()
    assert page.locator(".invalid-feedback", has_text="Enter a valid JSON.").is_visible()
    assert page.locator("#form-errors").get_by_role("link", name="Input schema").is_visible()
    page.get_by_label("Input schema").fill('{"type": "object"}')
    page.get_by_role("button", name="Create model").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}/$"))
    assert page.get_by_role("alert").filter(has_text="Model record “Demand forecaster” created.").is_visible()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Demand forecaster")

    # Organization scope shows it, with its space.
    page.get_by_role("link", name="Acme models").click()
    page.wait_for_url(f"{live_server.url}/o/acme/models/")
    row = page.locator("table.record-table tbody tr", has_text="Demand forecaster")
    assert row.get_by_role("link", name="Lab").is_visible()
    assert page.locator("table.record-table tbody").get_by_text("Secret sauce").count() == 0
    assert static_failures == []


def test_on_a_phone_the_navigation_collapses_and_the_table_scrolls(world, live_server, open_page):
    page = open_page(viewport={"width": 390, "height": 844})
    log_in(page, live_server, "viewer", "/s/lab/models/")
    tokens_link = page.get_by_role("link", name="Acme models")
    assert not tokens_link.is_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    tokens_link.wait_for(state="visible")
    assert computed(page, ".table-responsive", "overflow-x") == "auto"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("link", name="New model").count() == 0  # a viewer cannot create
