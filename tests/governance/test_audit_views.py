"""Audit pages, exports and the API: filters, streaming, the Activity tab; product roles on
the Governance tab; the "my role" and "owner" record filters."""

import json

from django.http import StreamingHttpResponse

from catalog import roles
from catalog.models import AuditEvent, ProductRole
from modelrepo import services as modelrepo_services


def _touch(world, n=3):
    for i in range(n):
        modelrepo_services.model_record_update(actor=world.editor, product=world.record, data={"description": f"d{i}"})


def test_the_space_audit_page_filters_by_actor_action_target_and_dates(world, client_as):
    _touch(world)
    client = client_as("space_admin")
    body = client.get("/s/lab/audit/", {"actor": "editor", "action": "model_record.updated"}).content.decode()
    assert body.count("<code>model_record.updated</code>") == 3
    assert "<code>product.created</code>" not in body
    assert "Secret sauce" not in client.get("/s/lab/audit/").content.decode()  # another space's record
    assert "<code>" not in client.get("/s/lab/audit/", {"target": "no such thing"}).content.decode()
    assert client.get("/s/lab/audit/", {"since": "2999-01-01"}).content.decode().count("<code>") == 0
    assert client.get("/s/lab/audit/", {"until": "2999-01-01", "action": "artifact."}).status_code == 200


def test_exports_stream_every_matching_event(world, client_as):
    _touch(world)
    client = client_as("org_admin")
    response = client.get("/o/acme/audit/", {"export": "jsonl", "action": "model_record.updated"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith("attachment;")
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["changes"]["description"]["new"] for r in rows] == ["d2", "d1", "d0"]
    assert {"sequence", "hash", "prev_hash", "actor_name", "ip"} <= set(rows[0])
    csv_response = client.get("/s/lab/audit/", {"export": "csv"})
    assert isinstance(csv_response, StreamingHttpResponse)
    lines = b"".join(csv_response.streaming_content).decode().splitlines()
    assert lines[0].startswith("sequence,created_at,actor_id,actor_name,action")
    assert len(lines) == 1 + AuditEvent.objects.filter(space_id=str(world.lab.pk)).count()


def test_the_api_export_streams_too(world, api_as):
    _touch(world, 1)
    response = api_as("space_admin").get("/api/v1.0/audit/events", {"space": "lab", "export": "csv"})
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)


def test_an_invalid_date_filter_answers_400_in_the_error_format(world, api_as):
    response = api_as("org_admin").get("/api/v1.0/audit/events", {"since": "yesterday"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_the_activity_tab_shows_role_comment_and_attachment_events_newest_first(world, client_as):
    roles.product_role_assign(actor=world.space_admin, product=world.record, user=world.viewer, role="steward")
    _touch(world, 1)
    body = client_as("viewer").get(f"/models/{world.record.pk}/activity/").content.decode()
    assert body.index("model_record.updated") < body.index("product_role.assigned")


def test_the_governance_tab_lists_roles_and_offers_the_form_to_owners_only(world, client_as):
    roles.product_role_assign(actor=world.space_admin, product=world.record, user=world.viewer, role="owner")
    url = f"/models/{world.record.pk}/governance/"
    owner_page = client_as("viewer").get(url).content.decode()
    assert "role-form" in owner_page and "viewer</strong> · Owner" in owner_page
    assert "role-form" not in client_as("editor").get(url).content.decode()


def test_an_owner_who_is_only_a_space_viewer_can_edit_and_assign(world, api_as):
    ProductRole.objects.create(product=world.record, user=world.viewer, role="steward")
    patched = api_as("viewer").patch(f"/api/v1.0/catalog/products/{world.record.pk}/model-repository",
                                     {"description": "by a steward"}, format="json")
    assert patched.status_code == 200
    assigned = api_as("viewer").post(f"/api/v1.0/catalog/products/{world.record.pk}/roles",
                                     {"username": "member", "role": "custodian"}, format="json")
    assert assigned.status_code == 403


def test_assigning_a_role_twice_or_to_a_stranger_is_refused(world, api_as):
    url = f"/api/v1.0/catalog/products/{world.record.pk}/roles"
    client = api_as("space_admin")
    assert client.post(url, {"username": "member", "role": "owner"}, format="json").status_code == 201
    again = client.post(url, {"username": "member", "role": "owner"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"
    assert client.post(url, {"username": "nobody", "role": "owner"}, format="json").status_code == 400
    assert client.post(url, {"username": "member", "role": "king"}, format="json").status_code == 400


def test_the_record_list_filters_by_my_role_and_by_owner(world, api_as, client_as):
    second = modelrepo_services.model_record_create(actor=world.editor, space=world.lab, data={"name": "Second"})
    ProductRole.objects.create(product=world.record, user=world.viewer, role="owner")
    ProductRole.objects.create(product=second, user=world.viewer, role="steward")
    url = "/api/v1.0/catalog/spaces/lab/model-repository/models"
    names = lambda params: sorted(r["name"] for r in api_as("viewer").get(url, params).json()["results"])  # noqa: E731
    assert names({"role": "owner"}) == ["Churn predictor"]
    assert names({"role": "owner,steward"}) == ["Churn predictor", "Second"]
    assert names({"role": "custodian"}) == []
    assert names({"owner": "viewer"}) == ["Churn predictor"]
    assert names({"owner": "editor"}) == []
    assert api_as("viewer").get(url, {"role": "king"}).status_code == 400
    page = client_as("viewer").get("/s/lab/models/", {"role": "steward"}).content.decode()
    assert "Second" in page and "Churn predictor" not in page
