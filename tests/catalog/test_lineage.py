"""Lineage: edges upstream → downstream across spaces; self-loops, duplicates and cycles
refused (the cycle with its path); the picture and the API redact what the viewer cannot see."""

import pytest
from rest_framework.test import APIClient

from catalog import lineage, products
from catalog.models import LineageEdge
from governance.models import AuditEvent
from qarion.errors import NotFound, PermissionDenied, ValidationFailed


def dataset(world, name, space=None, actor=None):
    return products.data_product_create(actor=actor or world.editor, space=space or world.lab,
                                        data={"product_type": "dataset", "name": name})


def api_url(product):
    return f"/api/v1.0/catalog/products/{product.pk}/lineage"


def test_an_edge_is_added_audited_and_drawn_both_ways(world):
    source = dataset(world, "Customer events")
    edge = lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
    assert AuditEvent.objects.filter(action="lineage.edge_added", target_id=str(world.record.pk)).exists()
    graph = lineage.lineage_graph(user=world.viewer, product=source)
    assert [(n["name"], n["level"]) for n in graph.nodes] == [("Customer events", 0), ("Churn predictor", 1)]
    assert graph.edges[0]["id"] == str(edge.pk)


def test_a_self_loop_is_refused(world):
    with pytest.raises(ValidationFailed) as exc:
        lineage.edge_add(actor=world.editor, upstream=world.record, downstream=world.record)
    assert exc.value.code == "lineage_self_loop"


def test_a_duplicate_is_refused(world):
    source = dataset(world, "Customer events")
    lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
    with pytest.raises(ValidationFailed) as exc:
        lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
    assert exc.value.code == "lineage_duplicate"
    assert LineageEdge.objects.count() == 1


def test_a_cycle_is_refused_with_the_path_that_would_close_it(world, api_as):
    a, b, c = dataset(world, "Raw A"), dataset(world, "Clean B"), dataset(world, "Features C")
    lineage.edge_add(actor=world.editor, upstream=a, downstream=b)
    lineage.edge_add(actor=world.editor, upstream=b, downstream=c)
    response = api_as("editor").post(api_url(a), {"upstream_id": str(c.pk)}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "lineage_cycle"
    assert "Raw A → Clean B → Features C → Raw A" in error["message"]
    assert LineageEdge.objects.count() == 2


def test_a_cycle_message_does_not_name_products_the_actor_cannot_see(world):
    hidden = dataset(world, "Hidden middle", space=world.other, actor=world.outsider)
    lineage.edge_add(actor=world.org_admin, upstream=world.record, downstream=hidden)
    source = dataset(world, "Visible end")
    lineage.edge_add(actor=world.org_admin, upstream=hidden, downstream=source)
    with pytest.raises(ValidationFailed) as exc:
        lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
    assert "Hidden middle" not in exc.value.message and "a product you cannot see" in exc.value.message


def test_adding_needs_edit_on_the_downstream_and_view_on_the_upstream(world):
    with pytest.raises(PermissionDenied):
        lineage.edge_add(actor=world.viewer, upstream=dataset(world, "Source"), downstream=world.record)
    with pytest.raises(NotFound):
        lineage.edge_add(actor=world.editor, upstream=world.other_record, downstream=world.record)


@pytest.fixture
def hidden_source(world):
    """``Secret sauce`` (space other, invisible to lab users) → the lab record → a lab dashboard."""
    lineage.edge_add(actor=world.org_admin, upstream=world.other_record, downstream=world.record)
    app = products.data_product_create(actor=world.editor, space=world.lab,
                                       data={"product_type": "dashboard", "name": "Retention board"})
    lineage.edge_add(actor=world.editor, upstream=world.record, downstream=app)
    return world.other_record


def test_the_tab_draws_upstream_left_downstream_right_with_links(world, client_as, hidden_source):
    body = client_as("viewer").get(f"/models/{world.record.pk}/lineage/?depth=2").content.decode()
    assert "<svg" in body and "Retention board" in body and "Churn predictor" in body
    app = world.record.downstream_edges.get().downstream
    assert f'href="/p/{app.pk}/"' in body
    assert "Hidden product" in body


def test_a_hidden_product_leaks_neither_name_nor_space_in_the_page_or_the_api(world, client_as, api_as,
                                                                              hidden_source):
    page = client_as("viewer").get(f"/models/{world.record.pk}/lineage/?depth=3").content.decode()
    api = api_as("viewer").get(api_url(world.record) + "?depth=3")
    assert api.status_code == 200
    for text in (page, api.content.decode()):
        assert hidden_source.name not in text
        assert str(hidden_source.pk) not in text
        assert "/s/other/" not in text and '"space":"other"' not in text.replace(" ", "")
    redacted = [n for n in api.json()["nodes"] if n["redacted"]]
    assert redacted == [{"key": "redacted-1", "id": None, "redacted": True, "level": -1, "name": None,
                         "product_type": None, "space": None, "url": None}]


def test_someone_who_sees_both_sides_gets_the_names(world, api_as, hidden_source):
    names = {n["name"] for n in api_as("org_admin").get(api_url(world.record)).json()["nodes"]}
    assert names == {"Secret sauce", "Churn predictor", "Retention board"}


def test_depth_is_clamped_and_bad_values_fall_back(world, api_as, client_as):
    assert api_as("viewer").get(api_url(world.record) + "?depth=99").json()["depth"] == 3
    assert api_as("viewer").get(api_url(world.record) + "?depth=x").json()["depth"] == 1
    assert client_as("viewer").get(f"/models/{world.record.pk}/lineage/?depth=-4").status_code == 200


@pytest.mark.parametrize("body", [{}, {"upstream_id": "nope"}, [1], {"upstream_id": None},
                                  {"upstream_id": "8e3c7d1e-0000-4000-8000-000000000000",
                                   "downstream_id": "8e3c7d1e-0000-4000-8000-000000000000"}])
def test_bad_bodies_answer_in_the_error_format(world, api_as, body):
    response = api_as("editor").post(api_url(world.record), body, format="json")
    assert response.status_code in (400, 404)
    assert "error" in response.json()


@pytest.mark.parametrize("user, get_status, post_status", [
    (None, 401, 401), ("outsider", 404, 404), ("org_member", 404, 404), ("viewer", 200, 403),
    ("member", 200, 403), ("editor", 200, 201), ("space_admin", 200, 201), ("org_admin", 200, 201),
])
def test_api_permission_matrix(world, api_as, user, get_status, post_status):
    client = api_as(user) if user else APIClient()
    source = dataset(world, "Source")
    assert client.get(api_url(world.record)).status_code == get_status
    response = client.post(api_url(world.record), {"upstream_id": str(source.pk)}, format="json")
    assert response.status_code == post_status


@pytest.mark.parametrize("user, status", [
    ("outsider", 404), ("viewer", 403), ("member", 403), ("editor", 204), ("space_admin", 204), ("org_admin", 204),
])
def test_removing_an_edge(world, api_as, user, status):
    source = dataset(world, "Source")
    edge = lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
    response = api_as(user).delete(f"{api_url(world.record)}/{edge.pk}")
    assert response.status_code == status
    assert LineageEdge.objects.filter(pk=edge.pk).exists() == (status != 204)


def test_removing_an_unknown_or_malformed_edge_is_not_found(world, api_as):
    assert api_as("editor").delete(f"{api_url(world.record)}/not-a-uuid").status_code == 404
    other = lineage.edge_add(actor=world.editor, upstream=dataset(world, "A"), downstream=dataset(world, "B"))
    assert api_as("editor").delete(f"{api_url(world.record)}/{other.pk}").status_code == 404


def test_the_page_adds_and_removes_edges(world, client_as):
    source = dataset(world, "Customer events")
    client = client_as("editor")
    response = client.post(f"/p/{world.record.pk}/lineage/add/", {"direction": "upstream", "other": str(source.pk)})
    assert response.status_code == 302 and response.url == f"/models/{world.record.pk}/lineage/"
    edge = LineageEdge.objects.get()
    assert (edge.upstream, edge.downstream) == (source, world.record)
    response = client.post(f"/p/{world.record.pk}/lineage/add/", {"direction": "upstream", "other": str(source.pk)},
                           follow=True)
    assert "already a source" in response.content.decode()
    client.post(f"/p/{world.record.pk}/lineage/{edge.pk}/remove/")
    assert not LineageEdge.objects.exists()


@pytest.mark.parametrize("user, status", [("viewer", 302), ("outsider", 404)])
def test_the_page_refuses_what_the_user_may_not_do(world, client_as, user, status):
    source = dataset(world, "Customer events")
    response = client_as(user).post(f"/p/{world.record.pk}/lineage/add/",
                                    {"direction": "upstream", "other": str(source.pk)})
    assert response.status_code == status
    assert not LineageEdge.objects.exists()


def test_anonymous_users_are_sent_to_log_in(world, client):
    assert client.get(f"/models/{world.record.pk}/lineage/").status_code == 302
    assert client.post(f"/p/{world.record.pk}/lineage/add/", {}).status_code == 302
