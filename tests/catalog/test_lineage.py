"""Lineage: edges upstream → downstream across spaces; self-loops, duplicates and cycles
refused (the cycle with its path); the picture and the API redact what the viewer cannot see."""

import pytest
from rest_framework.test import APIClient

from catalog import lineage, products
from catalog.models import AuditEvent, LineageEdge
from common.errors import NotFound, PermissionDenied, ValidationFailed


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


def test_the_api_refuses_a_depth_outside_1_to_3_and_the_page_clamps_it(world, api_as, client_as):
    for bad in ("99", "x", "0", ""):
        response = api_as("viewer").get(api_url(world.record) + f"?depth={bad}")
        assert response.status_code == 400 and "depth" in response.json()["error"]["details"]
    assert api_as("viewer").get(api_url(world.record)).json()["depth"] == 1
    assert api_as("viewer").get(api_url(world.record) + "?depth=2").json()["depth"] == 2
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


# --- the add-edge form: search, then link by id or by name -----------------------------------

def candidates_url(product, q=""):
    return f"/p/{product.pk}/lineage/candidates/?q={q}"


def add(client, product, **data):
    return client.post(f"/p/{product.pk}/lineage/add/", {"direction": "upstream", **data}, follow=True)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_the_search_offers_visible_products_of_every_space_by_name_and_caps_the_count(world, client_as):
    from catalog.models import Product
    Product.objects.bulk_create([Product(space=world.lab, product_type="dataset", name=f"Events {i:02}",
                                         slug=f"events-{i:02}", created_by=world.editor) for i in range(25)])
    dataset(world, "Events hidden", space=world.other, actor=world.outsider)
    dataset(world, "Orders")
    body = client_as("editor").get(candidates_url(world.record, "events")).json()
    assert len(body["results"]) == lineage.CANDIDATE_LIMIT == 20
    assert [r["name"] for r in body["results"]] == [f"Events {i:02}" for i in range(20)]
    assert body["results"][0] == {"id": body["results"][0]["id"], "name": "Events 00", "space": "lab",
                                  "product_type": "dataset", "product_type_label": "File/Dataset",
                                  "label": "Events 00 (lab)"}
    assert "Events hidden" not in client_as("editor").get(candidates_url(world.record, "hidden")).content.decode()
    # An organization admin sees both spaces; the product itself is never offered.
    assert [r["label"] for r in client_as("org_admin").get(candidates_url(world.record, "SAUCE")).json()["results"]] == [
        "Secret sauce (other)"]
    assert client_as("org_admin").get(candidates_url(world.record, "churn")).json()["results"] == []


def test_the_search_excludes_archived_products_and_treats_wildcards_as_text(world, client_as):
    archived = dataset(world, "Old events")
    archived.is_archived = True
    archived.save(update_fields=["is_archived"])
    dataset(world, "Events 100% raw")
    dataset(world, "Events clean")
    client = client_as("editor")
    assert client.get(candidates_url(world.record, "old")).json()["results"] == []
    assert [r["name"] for r in client.get(candidates_url(world.record, "%25")).json()["results"]] == ["Events 100% raw"]


@pytest.mark.parametrize("user, status", [("viewer", 403), ("member", 403), ("outsider", 404), ("org_member", 404)])
def test_the_search_is_for_those_who_may_add_edges(world, client_as, user, status):
    assert client_as(user).get(candidates_url(world.record, "e")).status_code == status


def test_the_search_needs_a_login(world, client):
    response = client.get(candidates_url(world.record))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_tab_offers_a_search_field_not_a_list_of_every_product(world, client_as):
    dataset(world, "Customer events")
    page = client_as("editor").get(f"/models/{world.record.pk}/lineage/").content.decode()
    assert 'list="lineage-candidates"' in page and f'data-candidates-url="/p/{world.record.pk}/lineage/candidates/"' in page
    assert "Customer events" not in page
    assert 'id="lineage-add"' not in client_as("viewer").get(f"/models/{world.record.pk}/lineage/").content.decode()


def test_an_edge_is_added_by_the_picked_id_or_by_the_typed_name(world, client_as):
    source = dataset(world, "Customer events")
    consumer = dataset(world, "Retention board")
    client = client_as("editor")
    response = add(client, world.record, other=str(source.pk), other_name="Customer events (lab)")
    assert response.redirect_chain[-1][0] == f"/models/{world.record.pk}/lineage/"
    assert messages_of(response) == ["Lineage updated: Customer events → Churn predictor."]
    response = add(client, world.record, direction="downstream", other_name="  retention   BOARD ")
    assert messages_of(response) == ["Lineage updated: Churn predictor → Retention board."]
    assert set(LineageEdge.objects.values_list("upstream__name", "downstream__name")) == {
        ("Customer events", "Churn predictor"), ("Churn predictor", "Retention board")}
    assert consumer.upstream_edges.count() == 1


def test_a_name_shared_across_spaces_needs_its_space(world, client_as):
    dataset(world, "Events", space=world.other, actor=world.outsider)
    dataset(world, "Events")
    client = client_as("org_admin")
    response = add(client, world.record, other_name="Events")
    assert "Several products you can see are named Events" in messages_of(response)[0]
    assert not LineageEdge.objects.exists()
    add(client, world.record, other_name="Events (other)")
    assert LineageEdge.objects.get().upstream.space == world.other


def test_a_hidden_product_answers_like_an_unknown_one(world, client_as):
    hidden = world.other_record
    client = client_as("editor")
    unknown = messages_of(add(client, world.record, other="8e3c7d1e-0000-4000-8000-000000000000"))
    assert messages_of(add(client, world.record, other=str(hidden.pk))) == unknown
    assert unknown == ["No product with this id exists, or you cannot see it."]
    by_name = messages_of(add(client, world.record, other_name="Secret sauce"))
    assert by_name == ["No product named Secret sauce exists, or you cannot see it: type part of its name and pick it "
                       "from the list."]
    assert messages_of(add(client, world.record, other_name="No such thing")) == [
        by_name[0].replace("Secret sauce", "No such thing")]
    assert not LineageEdge.objects.exists()


@pytest.mark.parametrize("data, expected", [
    ({"other": "not-a-uuid"}, "No product with this id exists, or you cannot see it."),
    ({"other": "x" * 5000}, "No product with this id exists, or you cannot see it."),
    ({"other_name": "x" * 301}, "No product has a name this long."),
    ({}, "Type part of the product's name and pick it from the list."),
    ({"direction": "sideways", "other_name": "Customer events"}, "Choose whether the product is a source or a consumer."),
    ({"other_name": "Churn predictor"}, "A product cannot be its own source."),
])
def test_bad_input_answers_a_message_on_the_tab_never_a_server_error(world, client_as, data, expected):
    dataset(world, "Customer events")
    response = add(client_as("editor"), world.record, **data)
    assert response.status_code == 200 and messages_of(response) == [expected]
    assert not LineageEdge.objects.exists()


def test_a_duplicate_and_a_cycle_answer_a_message(world, client_as):
    source = dataset(world, "Customer events")
    client = client_as("editor")
    add(client, world.record, other=str(source.pk))
    assert "already a source" in messages_of(add(client, world.record, other=str(source.pk)))[0]
    cycle = messages_of(add(client, source, other=str(world.record.pk)))
    assert cycle[0].startswith("This edge would close a cycle: Customer events → Churn predictor → Customer events")
    assert LineageEdge.objects.count() == 1
