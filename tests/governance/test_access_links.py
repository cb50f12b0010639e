"""Where a person finds access requests: the space directory offers them on spaces they cannot
open, and the 404 of a product page they cannot see offers to ask for access to that product,
reading the same whether or not the product exists."""

import re
import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ASK = "Ask for access to this product"


def ask_url(product_id):
    return reverse("governance:access_request_create", kwargs={"org_slug": "acme"}) + f"?product={product_id}"


def product_pages(product_id):
    return [reverse("modelrepo:model_detail", kwargs={"product_id": product_id}),
            reverse("modelrepo:model_tab", kwargs={"product_id": product_id, "tab": "activity"}),
            reverse("catalog:product_detail", kwargs={"product_id": product_id})]


def _without_id(response, product_id):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode().replace(str(product_id), "ID"))


def test_the_directory_offers_to_ask_for_spaces_without_a_role_only(client_as, world):
    body = client_as("viewer").get(reverse("catalog:space_directory", kwargs={"org_slug": "acme"})).content.decode()
    assert "?space=other&amp;level=view" in body and "?space=other&amp;level=edit" in body
    assert "?space=lab&amp;level=" not in body


@pytest.mark.parametrize("url_index", [0, 1, 2])
def test_a_hidden_product_page_offers_to_ask_for_access_like_a_missing_one(client_as, world, url_index):
    client = client_as("org_member")
    missing_id = uuid.uuid4()
    hidden = client.get(product_pages(world.record.pk)[url_index])
    missing = client.get(product_pages(missing_id)[url_index])
    assert hidden.status_code == missing.status_code == 404
    assert ASK in hidden.content.decode() and ask_url(world.record.pk) in hidden.content.decode()
    assert _without_id(hidden, world.record.pk) == _without_id(missing, missing_id)
    assert world.record.name not in hidden.content.decode()


def test_the_offer_leads_to_the_product_access_request_form(client_as, world):
    client = client_as("outsider")
    assert ASK in client.get(product_pages(world.record.pk)[0]).content.decode()
    form = client.get(ask_url(world.record.pk))
    assert form.status_code == 200 and f'name="product" value="{world.record.pk}"' in form.content.decode()


def test_other_404_pages_offer_the_space_directory_but_no_product_request(client_as, world):
    response = client_as("org_member").get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404 and ASK not in body
    assert reverse("catalog:space_directory", kwargs={"org_slug": "acme"}) in body


def test_anonymous_users_see_a_plain_404(client, world):
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404 and ASK not in body and "/o/acme/" not in body
    assert client.get(product_pages(world.record.pk)[0]).status_code == 302  # to sign in


def test_a_user_in_no_organization_gets_a_plain_404(client, world, django_user_model):
    client.force_login(django_user_model.objects.create_user("stranger", password="x"))
    response = client.get(product_pages(world.record.pk)[0])
    assert response.status_code == 404 and ASK not in response.content.decode()


def test_the_api_keeps_its_json_404(api_as, world):
    response = api_as("org_member").get(f"/api/v1.0/catalog/products/{world.record.pk}/model-repository")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
