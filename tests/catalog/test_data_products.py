"""Data products: created and browsed in a space (page and API); model records stay in the
model repository's pages."""

import pytest
from rest_framework.test import APIClient

from catalog import products
from catalog.models import AuditEvent, Product

URL = "/api/v1.0/catalog/spaces/lab/products"


def test_a_data_product_is_created_audited_and_listed_without_model_records(world, api_as):
    response = api_as("editor").post(URL, {"product_type": "dataset", "name": "Customer events",
                                           "tags": ["pii"], "sensitivity": "confidential"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "customer-events" and body["space"] == "lab" and body["tags"] == ["pii"]
    assert AuditEvent.objects.filter(action="data_product.created", target_id=body["id"]).exists()
    listed = api_as("viewer").get(URL).json()["results"]
    assert [p["name"] for p in listed] == ["Customer events"]  # the model record is not a data product


@pytest.mark.parametrize("body, field", [
    ({"product_type": "ml_model", "name": "X"}, "product_type"),
    ({"product_type": "dataset"}, "name"),
    ({"product_type": "dataset", "name": "X", "criticality": "huge"}, "criticality"),
    ({"product_type": "dataset", "name": "X", "colour": "red"}, "colour"),
])
def test_bad_input_is_refused_in_the_error_format(world, api_as, body, field):
    response = api_as("editor").post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_a_duplicate_name_is_refused(world, api_as):
    client = api_as("editor")
    client.post(URL, {"product_type": "table", "name": "Orders"}, format="json")
    response = client.post(URL, {"product_type": "table", "name": "orders"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "duplicate"


@pytest.mark.parametrize("user, get_status, post_status", [
    (None, 401, 401), ("outsider", 404, 404), ("viewer", 200, 403), ("member", 200, 403),
    ("editor", 200, 201), ("space_admin", 200, 201), ("org_admin", 200, 201),
])
def test_api_permission_matrix(world, api_as, user, get_status, post_status):
    client = api_as(user) if user else APIClient()
    assert client.get(URL).status_code == get_status
    assert client.post(URL, {"product_type": "api", "name": "Scoring API"}, format="json").status_code == post_status


@pytest.mark.parametrize("user, list_status, new_status", [
    ("outsider", 404, 404), ("viewer", 200, 403), ("editor", 200, 200), ("space_admin", 200, 200),
    ("org_admin", 200, 200),
])
def test_page_permission_matrix(world, client_as, user, list_status, new_status):
    client = client_as(user)
    assert client.get("/s/lab/products/").status_code == list_status
    assert client.get("/s/lab/products/new/").status_code == new_status


def test_the_pages_create_and_show_a_data_product(world, client_as):
    client = client_as("editor")
    response = client.post("/s/lab/products/new/", {"product_type": "dashboard", "name": "Retention board",
                                                    "criticality": "low", "sensitivity": "internal",
                                                    "tags": "churn, kpi"})
    product = Product.objects.get(name="Retention board")
    assert response.status_code == 302 and response.url == f"/p/{product.pk}/"
    page = client.get(response.url).content.decode()
    assert "Retention board" in page and "Dashboard" in page and 'id="lineage"' in page
    assert "Retention board" in client.get("/s/lab/products/").content.decode()
    again = client.post("/s/lab/products/new/", {"product_type": "dashboard", "name": "Retention board",
                                                 "criticality": "low", "sensitivity": "internal"})
    assert again.status_code == 400 and "already exists" in again.content.decode()


def test_a_model_records_product_page_redirects_to_the_record(world, client_as):
    response = client_as("viewer").get(f"/p/{world.record.pk}/")
    assert response.status_code == 302 and response.url == f"/models/{world.record.pk}/"


def test_a_data_product_is_not_a_model_record(world, client_as):
    product = products.data_product_create(actor=world.editor, space=world.lab,
                                           data={"product_type": "dataset", "name": "Events"})
    assert client_as("viewer").get(f"/models/{product.pk}/").status_code == 404
    assert client_as("outsider").get(f"/p/{product.pk}/").status_code == 404
    assert client_as("viewer").get("/p/not-a-uuid/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(world, client):
    assert client.get("/s/lab/products/").status_code == 302
    assert client.get("/s/lab/products/new/").status_code == 302


# --- query counts ----------------------------------------------------------------------------

# Today: session, user, space, count, org and space role, navigation (organizations, spaces),
# inbox count, one page, its tags.
PAGE_QUERY_BOUND = 11
# Today: token, space, count, one page, its tags (a token's last use is written at most once a
# minute, so the warmed-up request does not write it).
API_QUERY_BOUND = 5


def bulk_data_products(space, n, creator, start=0):
    from catalog.models import Tag
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("bulk-a", "bulk-b")]
    created = Product.objects.bulk_create([
        Product(space=space, product_type="dataset", name=f"Bulk data {i:03}", slug=f"bulk-data-{i:03}",
                created_by=creator) for i in range(start, start + n)])
    Product.tags.through.objects.bulk_create([Product.tags.through(product=p, tag=t) for p in created for t in tags])


def queries_at_10_and_100(world, request, bound, assert_max):
    """The queries of ``request()`` with 10 data products in the space, then with 100; each
    measured after one warm-up request."""
    counts = []
    for start, n in ((0, 10), (10, 90)):
        bulk_data_products(world.lab, n, world.editor, start=start)
        request()
        with assert_max(bound) as captured:
            response = request()
        assert response.status_code == 200
        counts.append(len(captured))
    return counts


def test_the_list_page_runs_as_many_queries_for_100_products_as_for_10(world, client_as,
                                                                        django_assert_max_num_queries):
    client = client_as("editor")
    counts = queries_at_10_and_100(world, lambda: client.get("/s/lab/products/?page=2"), PAGE_QUERY_BOUND,
                                   django_assert_max_num_queries)
    assert counts[0] == counts[1]
    page = client.get("/s/lab/products/?page=2")
    assert len(page.context["page_obj"].object_list) == 25 and "bulk-b" in page.content.decode()


def test_the_api_list_runs_as_many_queries_for_100_products_as_for_10(world, api_as, django_assert_max_num_queries):
    client = api_as("viewer")
    counts = queries_at_10_and_100(world, lambda: client.get(URL, {"size": "100"}), API_QUERY_BOUND,
                                   django_assert_max_num_queries)
    assert counts[0] == counts[1]
    results = client.get(URL, {"size": "100"}).json()["results"]
    assert len(results) == 100 and results[0]["tags"] == ["bulk-a", "bulk-b"] and results[0]["space"] == "lab"
