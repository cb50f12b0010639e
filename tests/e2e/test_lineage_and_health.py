"""Real browser: on the demo data, the Lineage tab of the churn model draws its upstream dataset
and its downstream dashboard, and a source is added by typing part of its name and picking it
from the list; the health panel lists failing checks and each links to where to fix it (the
record's edit form at the field, or the roles form)."""

import io

import pytest
from django.core.management import call_command

from catalog.models import Product
from demo import data as demo_data

pytestmark = pytest.mark.e2e


def log_in(page, live_server, username, next_path):
    page.goto(f"{live_server.url}{next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_data.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{next_path}")


def test_lineage_is_drawn_and_a_failing_check_leads_to_the_field_to_fill(live_server, open_page):
    call_command("load_demo", stdout=io.StringIO())
    churn = Product.objects.get(name="Customer Churn Predictor")
    llama = Product.objects.get(name="Llama 3.1 8B Instruct Evaluation")

    # alice, an editor of research, sees the churn model's source and consumer drawn.
    page = open_page()
    log_in(page, live_server, "alice", f"/models/{churn.pk}/lineage/")
    graph = page.locator("svg.lineage-graph")
    texts = [t.strip() for t in graph.locator("text").all_text_contents()]
    assert "Customer events" in texts and "Retention dashboard" in texts
    assert "Customer Churn Predictor" in texts
    source_x = float(graph.locator("text", has_text="Customer events").get_attribute("x"))
    consumer_x = float(graph.locator("text", has_text="Retention dashboard").get_attribute("x"))
    assert source_x < consumer_x  # upstream left, downstream right

    # She adds a source: typing part of its name offers the matches of both her spaces.
    page.get_by_label("Add").select_option("upstream")
    page.get_by_label("Product").press_sequentially("demand", delay=20)
    page.wait_for_function("document.querySelectorAll('#lineage-candidates option').length === 2")
    offered = page.locator("#lineage-candidates option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["Demand Forecaster (production)", "Demand Forecaster v2 (research)"]
    page.get_by_label("Product").fill("Demand Forecaster v2 (research)")
    assert page.locator("#lineage-other-id").input_value() == str(
        Product.objects.get(name="Demand Forecaster v2").pk)
    page.get_by_role("button", name="Add edge").click()
    assert "Lineage updated: Demand Forecaster v2 → Customer Churn Predictor." in page.locator("body").inner_text()
    assert "Demand Forecaster v2" in page.locator("svg.lineage-graph text").all_text_contents()

    # She runs the checks from the health panel: nobody owns the churn model yet.
    page.get_by_role("link", name="Governance").click()
    page.get_by_role("button", name="Run checks now").click()
    panel = page.locator("#health")
    assert panel.locator(".health-score").inner_text().endswith("%")
    assert panel.locator(".failing-check", has_text="Owner assigned").count() == 1

    # The organization admin follows the GPAI model's failing check to the field to fill.
    admin_page = open_page()
    log_in(admin_page, live_server, "admin", f"/models/{llama.pk}/governance/")
    admin_page.get_by_role("button", name="Run checks now").click()
    failing = admin_page.locator("#health .failing-check", has_text="GPAI duties documented")
    assert "downstream obligations" in failing.inner_text()
    failing.get_by_role("link", name="What to do: fix it here").click()
    admin_page.wait_for_url(f"**/models/{llama.pk}/edit/#id_downstream_obligations_doc")
    field = admin_page.locator("#id_downstream_obligations_doc")
    assert field.is_visible()
    assert admin_page.locator("#id_downstream_obligations_doc:target").count() == 1

    # The owner check's link goes to the roles form on the Governance tab.
    admin_page.goto(f"{live_server.url}/models/{churn.pk}/governance/")
    owner = admin_page.locator("#health .failing-check", has_text="Owner assigned")
    owner.get_by_role("link", name="What to do: fix it here").click()
    admin_page.wait_for_url(f"**/models/{churn.pk}/governance/#role-username")
    assert admin_page.locator("#role-username").is_visible()
