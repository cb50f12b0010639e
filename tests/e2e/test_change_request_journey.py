"""A governed change in a real browser: an editor's direct change of the risk classification is
refused with a link to a pre-filled change request; the product owner approves it from the
inbox (a space admin stands in for the record's data architects, who are none); the editor
applies it, and the record and its activity show the change."""

import re

import pytest

from catalog import roles
from catalog.choices import OrganizationRole, ProductRoleName
from catalog.models import OrganizationMembership
from tests.conftest import make_user
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

TITLE = "Classify the churn predictor as high risk"


def _owner(world):
    owner = make_user("owner")
    OrganizationMembership.objects.create(user=owner, organization=world.org, role=OrganizationRole.MEMBER)
    roles.product_role_assign(actor=world.space_admin, product=world.record, user=owner,
                                            role=ProductRoleName.OWNER)
    return owner


def _approve_from_the_inbox(page, live_server, username, note):
    log_in(page, live_server, username, "/inbox/")
    page.locator(".inbox-change-reviews").get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(r"/change-requests/[0-9a-f-]{36}/$"))
    page.get_by_label("Notes (required to reject)").fill(note)
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("alert").filter(has_text="Approved.").is_visible()
    return page


def test_a_governed_change_goes_through_a_reviewed_change_request(world, live_server, open_page):
    _owner(world)
    record_path = f"/models/{world.record.pk}/"

    # The editor tries the direct change and is refused with a link to a change request.
    editor = open_page()
    log_in(editor, live_server, "editor", f"{record_path}edit/")
    editor.get_by_label("Risk classification (EU AI Act)").select_option("high")
    editor.get_by_role("button", name="Save changes").click()
    errors = editor.locator("#form-errors")
    assert errors.get_by_text("requires an approved change request").is_visible()
    errors.get_by_role("link", name=re.compile("change request", re.I)).click()

    # The change request form comes pre-filled with the refused change.
    editor.wait_for_url(re.compile(r"/governance/change-requests/new/\?"))
    row = editor.locator("table.proposed-changes tbody tr", has_text="risk_classification")
    assert row.locator("#change-risk_classification").input_value() == "high"
    assert row.get_by_text("governed").is_visible()
    editor.get_by_label("Title").fill(TITLE)
    editor.get_by_label("Justification").fill("It scores credit applicants now.")
    editor.get_by_role("button", name="Open change request").click()
    editor.wait_for_url(re.compile(r"/change-requests/[0-9a-f-]{36}/$"))
    request_url = editor.url
    assert editor.locator(".cr-status").inner_text() == "Pending review"
    assert editor.get_by_role("button", name="Apply").count() == 0

    # The owner finds it in the inbox and approves; the data architects' group still waits.
    owner = _approve_from_the_inbox(open_page(), live_server, "owner", "Agreed: credit scoring is high risk.")
    assert owner.locator(".cr-status").inner_text() == "Pending review"
    assert owner.locator(".cr-groups").get_by_text("(a space admin stands in): waiting").is_visible()
    # The record has no data architect, so a space admin stands in for them.
    admin = _approve_from_the_inbox(open_page(), live_server, "space_admin", "Standing in for the data architects.")
    assert admin.locator(".cr-status").inner_text() == "Approved"

    # The editor applies the approved request.
    editor.goto(request_url)
    assert editor.locator(".cr-status").inner_text() == "Approved"
    assert editor.locator(".cr-reviews").get_by_text("owner", exact=True).is_visible()
    editor.get_by_role("button", name="Apply").click()
    assert editor.get_by_role("alert").filter(has_text="Change request applied.").is_visible()
    assert editor.locator(".cr-status").inner_text() == "Applied"

    # The record shows the new classification; its activity the request's events and the update.
    editor.goto(f"{live_server.url}{record_path}")
    assert editor.locator("header .badge-risk", has_text="High").is_visible()
    editor.get_by_role("link", name="Activity").click()
    table = editor.locator("table.activity-table tbody")
    for action in ("change_request.opened", "change_request.approved_by", "change_request.approved",
                   "change_request.applied",
                   "model_record.updated"):
        assert table.get_by_text(action, exact=True).first.is_visible(), action
    update = table.locator("tr", has=editor.get_by_text("model_record.updated", exact=True))
    update.locator("summary").click()
    change = update.locator("dl.changes")
    assert change.locator("dt", has_text="risk_classification").is_visible()
    assert change.locator("dd del", has_text="unclassified").is_visible()
    assert re.search(r"unclassified\s*→\s*high", change.inner_text())
