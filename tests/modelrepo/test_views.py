import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog.models import AuditEvent, Product, Tag
from modelrepo.models import ModelDetails
from tests.conftest import make_record, make_user

READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
WRITERS = ["editor", "space_admin", "org_admin"]
NON_WRITERS = ["viewer", "member"]
STRANGERS = ["outsider", "org_member"]  # in the organization, but not in space lab


def org_list_url(world):
    return reverse("modelrepo:org_model_list", kwargs={"org_slug": world.org.slug})


def space_list_url(space):
    return reverse("modelrepo:space_model_list", kwargs={"space_slug": space.slug})


def create_url(space):
    return reverse("modelrepo:model_create", kwargs={"space_slug": space.slug})


def detail_url(product):
    return reverse("modelrepo:model_detail", kwargs={"product_id": product.pk})


def tab_url(product, tab):
    return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": tab})


def edit_url(product):
    return reverse("modelrepo:model_edit", kwargs={"product_id": product.pk})


def lab_pages(world):
    record = world.record
    return [
        space_list_url(world.lab),
        create_url(world.lab),
        detail_url(record),
        *[tab_url(record, tab) for tab in ("versions", "artifacts", "governance", "lineage", "activity")],
        edit_url(record),
    ]


def form_data(**overrides):
    """A complete, valid create/edit submission."""
    data = {
        "name": "Fraud scorer",
        "slug": "",
        "product_type": "ml_model",
        "description": "Scores card payments.",
        "documentation": "",
        "provider": "",
        "hosting_location": "",
        "criticality": "medium",
        "sensitivity": "internal",
        "tags": "fraud, payments",
        "model_family": "traditional_ml",
        "task_type": "classification",
        "architecture": "",
        "framework": "xgboost",
        "intended_use": "",
        "limitations": "",
        "environment": "",
        "lifecycle_stage": "ideation",
        "deployment_status": "development",
        "serving_url": "",
        "risk_classification": "unclassified",
        "risk_rationale": "",
        "operator_role": "",
        "ai_system_type": "",
        "gpai_tier": "",
        "training_compute_flops": "",
        "training_data_summary": "",
        "copyright_policy_url": "",
        "acceptable_use_policy_url": "",
        "downstream_obligations_doc": "",
        "open_source_license": "",
        "input_schema": "",
        "output_schema": "",
        "vendor": "",
        "vendor_product": "",
        "vendor_model_id": "",
        "deployment_environment": "",
        "business_use_case": "",
    }
    data.update(overrides)
    return data


def edit_data(product, **overrides):
    """The edit form as the page pre-fills it, with ``overrides`` typed in."""
    details = product.model_details
    data = form_data(
        name=product.name, slug=product.slug, product_type=product.product_type, description=product.description,
        documentation=product.documentation, tags=", ".join(sorted(t.name for t in product.tags.all())),
        criticality=product.criticality, sensitivity=product.sensitivity,
        **{name: getattr(details, name) or "" for name in (
            "model_family", "task_type", "framework", "lifecycle_stage", "deployment_status", "risk_classification")},
    )
    data.update(overrides)
    return data


# --- Permission matrix ------------------------------------------------------------------

def test_every_page_sends_an_anonymous_visitor_to_the_login_page(world, client):
    for url in [org_list_url(world), *lab_pages(world)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_an_anonymous_create_post_writes_nothing(world, client):
    response = client.post(create_url(world.lab), form_data())
    assert response.status_code == 302
    assert not Product.objects.filter(name="Fraud scorer").exists()


@pytest.mark.parametrize("username", STRANGERS)
def test_a_user_outside_the_space_gets_404_on_its_pages_and_records(world, client_as, username):
    client = client_as(username)
    for url in lab_pages(world):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("username", STRANGERS)
def test_a_user_outside_the_space_cannot_post_a_record_into_it(world, client_as, username):
    response = client_as(username).post(create_url(world.lab), form_data())
    assert response.status_code == 404
    assert not Product.objects.filter(name="Fraud scorer").exists()


def test_a_user_outside_the_space_cannot_post_an_edit_to_its_record(world, client_as):
    response = client_as("outsider").post(edit_url(world.record), edit_data(world.record, description="Hacked"))
    assert response.status_code == 404
    world.record.refresh_from_db()
    assert world.record.description == ""


def test_a_user_outside_the_organization_gets_404_on_its_model_repository(world, client):
    client.force_login(make_user("stranger"))
    assert client.get(org_list_url(world)).status_code == 404
    assert client.get(space_list_url(world.lab)).status_code == 404


@pytest.mark.parametrize("username", READERS)
def test_every_space_reader_can_open_the_read_pages(world, client_as, username):
    client = client_as(username)
    for url in [org_list_url(world), space_list_url(world.lab), detail_url(world.record),
                *[tab_url(world.record, t) for t in ("versions", "artifacts", "governance", "lineage", "activity")]]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Churn predictor" in client.get(space_list_url(world.lab)).content.decode()


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_viewer_gets_403_on_the_create_page(world, client_as, username):
    client = client_as(username)
    response = client.get(create_url(world.lab))
    assert response.status_code == 403
    assert "not create records" in response.content.decode()
    assert client.post(create_url(world.lab), form_data()).status_code == 403
    assert not Product.objects.filter(name="Fraud scorer").exists()


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_viewer_gets_403_on_the_edit_page(world, client_as, username):
    client = client_as(username)
    response = client.get(edit_url(world.record))
    assert response.status_code == 403
    assert "but not change it" in response.content.decode()
    assert client.post(edit_url(world.record), edit_data(world.record, description="Changed")).status_code == 403
    world.record.refresh_from_db()
    assert world.record.description == ""


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_viewer_sees_neither_the_new_model_nor_the_edit_button(world, client_as, username):
    client = client_as(username)
    assert create_url(world.lab) not in client.get(space_list_url(world.lab)).content.decode()
    assert edit_url(world.record) not in client.get(detail_url(world.record)).content.decode()


@pytest.mark.parametrize("username", WRITERS)
def test_a_writer_sees_the_new_model_and_edit_buttons(world, client_as, username):
    client = client_as(username)
    assert create_url(world.lab) in client.get(space_list_url(world.lab)).content.decode()
    assert edit_url(world.record) in client.get(detail_url(world.record)).content.decode()


@pytest.mark.parametrize("username", WRITERS)
def test_a_writer_creates_a_record_that_then_appears_in_both_scopes(world, client_as, username):
    client = client_as(username)
    assert client.get(create_url(world.lab)).status_code == 200
    response = client.post(create_url(world.lab), form_data(input_schema='{"type": "object"}'), follow=True)
    product = Product.objects.get(space=world.lab, name="Fraud scorer")
    assert response.redirect_chain == [(detail_url(product), 302)]
    assert "Model record “Fraud scorer” created." in response.content.decode()
    assert product.created_by == world.users[username]
    assert product.model_details.framework == "xgboost"
    assert product.model_details.input_schema == {"type": "object"}
    assert sorted(product.tags.values_list("name", flat=True)) == ["fraud", "payments"]
    assert "Fraud scorer" in client.get(space_list_url(world.lab)).content.decode()
    assert "Fraud scorer" in client.get(org_list_url(world)).content.decode()


@pytest.mark.parametrize("username", WRITERS)
def test_a_writer_edits_a_record(world, client_as, username):
    client = client_as(username)
    assert client.get(edit_url(world.record)).status_code == 200
    response = client.post(edit_url(world.record), edit_data(world.record, deployment_status="staging",
                                                             tags="churn, crm"))
    assert response.status_code == 302
    assert response["Location"] == detail_url(world.record)
    world.record.refresh_from_db()
    assert world.record.model_details.deployment_status == "staging"
    assert sorted(world.record.tags.values_list("name", flat=True)) == ["churn", "crm"]
    event = AuditEvent.objects.filter(action="model_record.updated").get()
    assert set(event.changes) == {"deployment_status", "tags"}
    assert event.actor_name == username


def test_the_edit_form_is_prefilled_with_the_record(world, client_as):
    body = client_as("editor").get(edit_url(world.record)).content.decode()
    assert 'value="Churn predictor"' in body
    assert 'value="churn"' in body
    assert '<option value="classification" selected>' in body


def test_saving_an_unchanged_edit_form_records_no_change(world, client_as):
    before = AuditEvent.objects.count()
    response = client_as("editor").post(edit_url(world.record), edit_data(world.record))
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_a_record_can_be_archived_from_the_edit_form_and_leaves_the_default_list(world, client_as):
    client = client_as("editor")
    client.post(edit_url(world.record), edit_data(world.record, is_archived="on"))
    world.record.refresh_from_db()
    assert world.record.is_archived
    assert [p.name for p in client.get(space_list_url(world.lab)).context["records"]] == []
    archived = client.get(space_list_url(world.lab), {"archived": "true"})
    assert [p.name for p in archived.context["records"]] == ["Churn predictor"]


def test_a_product_role_holder_can_edit_a_record_without_a_space_role(world, client):
    from catalog.models import ProductRole

    steward = make_user("steward")
    ProductRole.objects.create(product=world.record, user=steward, role="steward")
    client.force_login(steward)
    assert client.get(edit_url(world.record)).status_code == 200
    assert client.get(create_url(world.lab)).status_code == 403


# --- Organization scope -----------------------------------------------------------------

@pytest.mark.parametrize("username", ["viewer", "editor", "space_admin"])
def test_organization_scope_never_shows_a_record_of_a_space_the_user_cannot_view(world, client_as, username):
    body = client_as(username).get(org_list_url(world)).content.decode()
    assert "Churn predictor" in body
    assert "Secret sauce" not in body
    assert space_list_url(world.other) not in body.split('id="main"')[1]


def test_the_outsider_sees_only_their_own_space_in_organization_scope(world, client_as):
    body = client_as("outsider").get(org_list_url(world)).content.decode()
    assert "Secret sauce" in body
    assert "Churn predictor" not in body


def test_an_organization_member_without_a_space_sees_an_empty_organization_scope(world, client_as):
    response = client_as("org_member").get(org_list_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No model records to show" in body
    assert "Churn predictor" not in body and "Secret sauce" not in body


def test_an_org_admin_sees_every_spaces_records_with_their_space(world, client_as):
    client = client_as("org_admin")
    body = client.get(org_list_url(world)).content.decode()
    assert "Churn predictor" in body and "Secret sauce" in body
    assert space_list_url(world.lab) in body and space_list_url(world.other) in body
    assert client.get(space_list_url(world.other)).status_code == 200
    assert client.get(detail_url(world.other_record)).status_code == 200


def test_organization_scope_is_read_only(world, client_as):
    body = client_as("org_admin").get(org_list_url(world)).content.decode()
    assert "New model" not in body
    assert "/models/new/" not in body


def test_organization_scope_filters_by_space_with_repeated_parameters(world, client_as):
    client = client_as("org_admin")
    make_record(actor=world.org_admin, space=world.other, name="Other ranker")
    body = client.get(org_list_url(world), {"space": ["other"]}).content.decode()
    assert "Secret sauce" in body and "Other ranker" in body and "Churn predictor" not in body
    body = client.get(org_list_url(world) + "?space=lab&space=other").content.decode()
    assert "Secret sauce" in body and "Churn predictor" in body
    assert 'name="space" value="lab" id="filter-space-1" checked' in body


def test_organization_scope_sorts_by_space(world, client_as):
    body = client_as("org_admin").get(org_list_url(world), {"ordering": "-space"}).content.decode()
    assert body.index("Secret sauce") < body.index("Churn predictor")


# --- Space scope: filters, sorting, pagination, summary -------------------------------------

@pytest.fixture
def catalog(world):
    """A handful of varied records in lab besides the churn predictor."""
    make_record(actor=world.editor, space=world.lab, name="Support bot", model_family="genai", task_type="llm",
                deployment_status="production", risk_classification="limited", tags=["support", "crm"])
    make_record(actor=world.editor, space=world.lab, name="Search embedder", model_family="embedding_model",
                task_type="embedding", deployment_status="staging", risk_classification="minimal", tags=["search"])
    make_record(actor=world.editor, space=world.lab, name="Credit risk", model_family="traditional_ml",
                task_type="classification", deployment_status="production", risk_classification="high",
                product_type="ai_system")
    return world


def names_in(response):
    body = response.content.decode()
    table = body.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in body else ""
    return [name for name in ("Churn predictor", "Support bot", "Search embedder", "Credit risk") if name in table]


def test_the_space_page_filters_by_family(catalog, client_as):
    response = client_as("viewer").get(space_list_url(catalog.lab), {"model_family": "genai"})
    assert names_in(response) == ["Support bot"]


def test_the_space_page_accepts_several_values_as_repeated_parameters_and_commas(catalog, client_as):
    client = client_as("viewer")
    url = space_list_url(catalog.lab)
    repeated = client.get(url + "?model_family=genai&model_family=embedding_model")
    assert sorted(names_in(repeated)) == ["Search embedder", "Support bot"]
    commas = client.get(url + "?model_family=genai,embedding_model")
    assert sorted(names_in(commas)) == ["Search embedder", "Support bot"]
    body = commas.content.decode()
    assert 'value="genai" id="filter-model_family-2" checked' in body


@pytest.mark.parametrize("params, expected", [
    ({"search": "embed"}, ["Search embedder"]),
    ({"product_type": "ai_system"}, ["Credit risk"]),
    ({"deployment_status": "production"}, ["Credit risk", "Support bot"]),
    ({"task_type": "classification"}, ["Churn predictor", "Credit risk"]),
    ({"risk_classification": ["high", "limited"]}, ["Credit risk", "Support bot"]),
    ({"lifecycle_stage": "ideation"}, ["Churn predictor", "Credit risk", "Search embedder", "Support bot"]),
    ({"tag": ["support", "search"]}, ["Search embedder", "Support bot"]),
    ({"tag": "churn,search"}, ["Churn predictor", "Search embedder"]),
])
def test_the_space_page_filters_by_every_dimension(catalog, client_as, params, expected):
    response = client_as("viewer").get(space_list_url(catalog.lab), params)
    assert sorted(names_in(response)) == expected


def test_an_invalid_filter_value_shows_an_error_in_the_panel_not_a_500(catalog, client_as):
    response = client_as("viewer").get(space_list_url(catalog.lab), {"model_family": "bogus", "ordering": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="filter-errors"' in body
    assert "Model family: Select a valid choice. bogus is not one of the available choices." in body
    assert "Order by: Select a valid choice." in body


def test_the_space_page_sorts_by_the_column_headers(catalog, client_as):
    client = client_as("viewer")
    url = space_list_url(catalog.lab)
    by_name = client.get(url).content.decode()
    assert by_name.index("Churn predictor") < by_name.index("Credit risk") < by_name.index("Search embedder")
    descending = client.get(url, {"ordering": "-name"}).content.decode()
    assert descending.index("Support bot") < descending.index("Search embedder") < descending.index("Churn predictor")
    assert '<th scope="col" aria-sort="descending"><a class="sort-link' in descending
    assert "ordering=name" in descending  # the name header flips back to ascending
    by_risk = client.get(url, {"ordering": "risk_classification"}).content.decode()
    assert by_risk.index("Credit risk") < by_risk.index("Search embedder")  # high < minimal alphabetically


def test_sort_links_keep_the_filters_and_go_back_to_the_first_page(catalog, client_as):
    body = client_as("viewer").get(space_list_url(catalog.lab), {"model_family": "genai", "page": "2"}).content.decode()
    assert 'href="?model_family=genai&amp;ordering=updated_at"' in body


def test_the_space_page_paginates_and_keeps_the_filters_in_page_links(world, client_as):
    for n in range(7):
        make_record(actor=world.editor, space=world.lab, name=f"Model {n}", model_family="genai")
    client = client_as("viewer")
    url = space_list_url(world.lab)
    first = client.get(url, {"model_family": "genai", "size": "3"})
    assert first.context["page_obj"].paginator.num_pages == 3
    assert [p.name for p in first.context["records"]] == ["Model 0", "Model 1", "Model 2"]
    body = first.content.decode()
    assert 'href="?model_family=genai&amp;size=3&amp;page=2"' in body
    last = client.get(url, {"model_family": "genai", "size": "3", "page": "3"})
    assert [p.name for p in last.context["records"]] == ["Model 6"]
    assert "7–7 of 7" in last.content.decode()


def test_an_out_of_range_page_or_size_falls_back_gracefully(world, client_as):
    client = client_as("viewer")
    response = client.get(space_list_url(world.lab), {"page": "99", "size": "abc"})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
    assert client.get(space_list_url(world.lab), {"page": "x", "size": "100000"}).status_code == 200


def test_the_summary_counts_the_filtered_records(catalog, client_as):
    response = client_as("viewer").get(space_list_url(catalog.lab), {"deployment_status": "production"})
    summary = response.context["summary"]
    assert summary["total"] == 2
    assert summary["model_family"] == {"genai": 1, "traditional_ml": 1}
    assert summary["risk_classification"] == {"high": 1, "limited": 1}
    body = response.content.decode()
    assert '<span class="badge text-bg-danger">High</span>' in body


def test_risk_and_deployment_status_show_as_badges(catalog, client_as):
    body = client_as("viewer").get(space_list_url(catalog.lab)).content.decode()
    assert '<span class="badge text-bg-danger badge-risk">High</span>' in body
    assert '<span class="badge text-bg-success badge-deployment">Production</span>' in body


def test_an_empty_space_shows_a_deliberate_empty_state(world, client_as):
    world.record.is_archived = True
    world.record.save()
    body = client_as("editor").get(space_list_url(world.lab)).content.decode()
    assert "No model records in Lab yet" in body
    body = client_as("editor").get(space_list_url(world.lab), {"search": "zzz"}).content.decode()
    assert "No model records match these filters" in body


# --- Create form errors -----------------------------------------------------------------

def assert_rerendered_with(response, message):
    assert response.status_code == 200
    assert response.templates[0].name == "modelrepo/model_form.html"
    assert message in response.content.decode()


def test_a_duplicate_name_rerenders_the_form_with_the_message(world, client_as):
    before = Product.objects.count()
    response = client_as("editor").post(create_url(world.lab), form_data(name="churn PREDICTOR"))
    assert_rerendered_with(response, "already exists in space lab")
    assert "is-invalid" in response.content.decode()
    assert response.context["form"].errors["name"]
    assert Product.objects.count() == before


def test_bad_json_in_the_input_schema_rerenders_the_form(world, client_as):
    response = client_as("editor").post(create_url(world.lab), form_data(input_schema="{not json"))
    assert_rerendered_with(response, "Enter a valid JSON.")
    assert "{not json" in response.content.decode()  # what was typed stays to be fixed
    assert not Product.objects.filter(name="Fraud scorer").exists()


def test_json_that_is_not_an_object_rerenders_the_form(world, client_as):
    response = client_as("editor").post(create_url(world.lab), form_data(output_schema="[1, 2]"))
    assert_rerendered_with(response, "Enter a JSON object")
    assert not Product.objects.filter(name="Fraud scorer").exists()


def test_a_bad_url_rerenders_the_form(world, client_as):
    response = client_as("editor").post(create_url(world.lab), form_data(serving_url="not a url"))
    assert_rerendered_with(response, "Enter a valid URL.")
    assert response.context["form"].errors["serving_url"]
    assert not Product.objects.filter(name="Fraud scorer").exists()


def test_creating_past_the_space_limit_rerenders_the_form_with_the_limit(world, client_as):
    world.lab.catalog_product_limit = 1
    world.lab.save()
    response = client_as("editor").post(create_url(world.lab), form_data())
    assert_rerendered_with(response, "has reached its limit of 1 catalog products")
    assert response.context["form"].non_field_errors()
    assert not Product.objects.filter(name="Fraud scorer").exists()


def test_a_service_rule_error_lands_on_its_field(world, client_as):
    response = client_as("editor").post(create_url(world.lab), form_data(gpai_tier="systemic_risk"))
    assert_rerendered_with(response, "set is_gpai first")
    assert response.context["form"].errors["gpai_tier"]


def test_a_missing_name_rerenders_the_form(world, client_as):
    response = client_as("editor").post(create_url(world.lab), form_data(name=""))
    assert_rerendered_with(response, "This field is required.")


def test_the_create_form_offers_only_ai_product_types(world, client_as):
    client = client_as("editor")
    body = client.get(create_url(world.lab)).content.decode()
    assert '<option value="prompt_collection">' in body
    assert 'value="table"' not in body
    response = client.post(create_url(world.lab), form_data(product_type="table"))
    assert_rerendered_with(response, "Select a valid choice.")


def test_the_create_form_lays_fields_out_in_the_domain_groups(world, client_as):
    body = client_as("editor").get(create_url(world.lab)).content.decode()
    positions = [body.index(f">{title}</legend>") for title in
                 ("Catalog", "Classification", "Operations", "Risk", "GPAI duties", "Schema", "Vendor")]
    assert positions == sorted(positions)
    assert 'name="csrfmiddlewaretoken"' in body


def test_an_edit_that_breaks_a_rule_rerenders_the_form(world, client_as):
    make_record(actor=world.editor, space=world.lab, name="Taken")
    response = client_as("editor").post(edit_url(world.record), edit_data(world.record, name="Taken"))
    assert_rerendered_with(response, "already exists in space lab")
    world.record.refresh_from_db()
    assert world.record.name == "Churn predictor"


# --- Detail page ------------------------------------------------------------------------

def test_the_overview_shows_every_group_with_breadcrumbs(world, client_as):
    response = client_as("viewer").get(detail_url(world.record))
    body = response.content.decode()
    for title in ("Catalog", "Classification", "Operations", "Risk", "GPAI duties", "Schema", "Vendor", "Repository"):
        assert f">{title}</h2>" in body
    crumbs = body.split('class="breadcrumb"')[1].split("</ol>")[0]
    assert org_list_url(world) in crumbs and space_list_url(world.lab) in crumbs and "Churn predictor" in crumbs
    assert "Classification" in body and ">classification<" not in body  # labels, not codes
    assert "churn" in body


def test_the_overview_shows_the_repository_summary(world, client_as):
    body = client_as("viewer").get(detail_url(world.record)).content.decode()
    repository = body.split('id="repository-heading"')[1].split("</section>")[0]
    assert "Versions" in repository and "None yet" in repository


def test_documentation_is_rendered_as_sanitised_markdown(world, client_as):
    from modelrepo import services

    services.model_record_update(actor=world.editor, product=world.record, data={
        "documentation": "# Purpose\n\nPredicts **churn**.\n\n<script>alert(1)</script>\n\n"
                         "[bad](javascript:alert(2)) <img src=x onerror=alert(3)>",
        "input_schema": {"type": "object"},
        "serving_url": "https://models.example.com/churn",
    })
    body = client_as("viewer").get(detail_url(world.record)).content.decode()
    assert "<h1>Purpose</h1>" in body
    assert "<strong>churn</strong>" in body
    assert "<script>alert(1)" not in body
    assert "javascript:alert" not in body
    assert "onerror" not in body
    assert "&quot;type&quot;: &quot;object&quot;" in body
    assert 'href="https://models.example.com/churn"' in body


def test_an_unknown_tab_is_404(world, client_as):
    assert client_as("viewer").get(tab_url(world.record, "nonsense")).status_code == 404


def test_an_unknown_record_id_is_404(world, client_as):
    client = client_as("viewer")
    assert client.get("/models/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize("tab, text", [
    ("versions", "No versions yet"),
    ("artifacts", "No artifacts yet"),
    ("governance", "No governance activity yet"),
    ("lineage", "No lineage yet"),
])
def test_the_placeholder_tabs_show_a_deliberate_empty_state(world, client_as, tab, text):
    response = client_as("viewer").get(tab_url(world.record, tab))
    assert response.status_code == 200
    assert text in response.content.decode()


def test_the_activity_tab_lists_the_records_audit_events_newest_first(world, client_as):
    from modelrepo import services

    services.model_record_update(actor=world.editor, product=world.record, data={"deployment_status": "staging"})
    response = client_as("viewer").get(tab_url(world.record, "activity"))
    events = list(response.context["page_obj"].object_list)
    assert [e.action for e in events] == ["model_record.updated", "model_record.created"]
    body = response.content.decode()
    assert "deployment_status" in body and "staging" in body


def test_a_record_without_model_details_still_renders(world, client_as):
    ModelDetails.objects.filter(product=world.record).delete()
    client = client_as("editor")
    assert client.get(detail_url(world.record)).status_code == 200
    assert client.get(edit_url(world.record)).status_code == 200
    assert client.get(space_list_url(world.lab)).status_code == 200


# --- Navigation -------------------------------------------------------------------------

def test_the_navigation_lists_the_organization_and_the_users_spaces(world, client_as):
    body = client_as("viewer").get(detail_url(world.record)).content.decode()
    nav = body.split("</nav>")[0]
    assert org_list_url(world) in nav
    assert space_list_url(world.lab) in nav
    assert space_list_url(world.other) not in nav
    assert reverse("catalog:token_list") in nav
    assert "/api/docs/" in nav
    assert f'action="{reverse("logout")}"' in nav and "csrfmiddlewaretoken" in nav


def test_home_sends_a_member_to_the_organization_scope(world, client_as):
    response = client_as("viewer").get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == org_list_url(world)


def test_home_explains_what_to_do_without_an_organization(db, client):
    client.force_login(get_user_model().objects.create_user("lonely", password="x"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "not in an organization yet" in response.content.decode()


def test_the_login_page_renders_and_logs_in(world, client):
    from tests.conftest import PASSWORD

    response = client.get(reverse("login") + "?next=" + space_list_url(world.lab))
    assert response.status_code == 200
    assert 'name="next" value="/s/lab/models/"' in response.content.decode()
    response = client.post(reverse("login"), {"username": "viewer", "password": PASSWORD, "next": space_list_url(world.lab)})
    assert response.status_code == 302 and response["Location"] == space_list_url(world.lab)
    client.logout()
    bad = client.post(reverse("login"), {"username": "viewer", "password": "wrong"})
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in bad.content.decode()


def test_the_404_page_is_a_rendered_page(world, client_as):
    response = client_as("viewer").get("/no/such/page/")
    assert response.status_code == 404
    assert "does not exist, or you cannot see it" in response.content.decode()


# --- Query counts -----------------------------------------------------------------------

def bulk_records(space, n, creator):
    tags = Tag.objects.bulk_create([Tag(name=f"bulk-{space.slug}-{i}") for i in range(3)])
    products = Product.objects.bulk_create(
        [Product(space=space, name=f"Bulk {space.slug} {i:03}", slug=f"bulk-{i:03}", created_by=creator) for i in range(n)]
    )
    ModelDetails.objects.bulk_create([ModelDetails(product=p, model_family="genai") for p in products])
    Product.tags.through.objects.bulk_create(
        [Product.tags.through(product=p, tag=t) for p in products for t in tags]
    )


QUERY_BOUND = 20  # 20 today: session, user, space, access checks, counts, one page, tags, summaries, navigation, inbox count, failing checks


@pytest.mark.parametrize("n", [10, 100])
def test_the_space_page_runs_a_bounded_number_of_queries(world, client_as, django_assert_max_num_queries, n):
    bulk_records(world.lab, n, world.editor)
    client = client_as("editor")
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(space_list_url(world.lab), {"size": "100", "model_family": "genai,traditional_ml"})
    assert response.status_code == 200
    assert len(response.context["records"]) == min(n + 1, 100)


@pytest.mark.parametrize("n", [10, 100])
def test_the_organization_page_runs_a_bounded_number_of_queries(world, client_as, django_assert_max_num_queries, n):
    bulk_records(world.lab, n, world.editor)
    bulk_records(world.other, n, world.outsider)
    client = client_as("org_admin")
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(org_list_url(world), {"size": "100"})
    assert response.status_code == 200
    assert len(response.context["records"]) == min(2 * n + 2, 100)


def test_the_audit_log_is_linked_for_admins_only(client_as, world):
    assert "/s/lab/audit/" in client_as("space_admin").get("/s/lab/models/").content.decode()
    assert "/s/lab/audit/" not in client_as("editor").get("/s/lab/models/").content.decode()
    assert "/o/acme/audit/" in client_as("org_admin").get("/o/acme/models/").content.decode()
    assert "/o/acme/audit/" not in client_as("viewer").get("/o/acme/models/").content.decode()


def test_the_filter_panel_filters_by_my_role_and_owner(client_as, world):
    from catalog.models import ProductRole
    ProductRole.objects.create(product=world.record, user=world.viewer, role="steward")
    ProductRole.objects.create(product=world.record, user=world.editor, role="owner")
    client = client_as("viewer")
    page = client.get("/s/lab/models/")
    assert 'name="role"' in page.content.decode() and 'name="owner"' in page.content.decode()
    mine = client.get("/s/lab/models/?role=steward")
    assert [p.name for p in mine.context["page_obj"].object_list] == ["Churn predictor"]
    assert list(client.get("/s/lab/models/?role=owner").context["page_obj"].object_list) == []
    owned = client.get("/s/lab/models/?owner=editor")
    assert [p.name for p in owned.context["page_obj"].object_list] == ["Churn predictor"]


def test_the_tab_bar_lists_every_tab_in_order_and_marks_the_open_one(world, client_as):
    from modelrepo.tabs import RECORD_TABS

    body = client_as("viewer").get(tab_url(world.record, "lineage")).content.decode()
    bar = body.split('class="nav nav-tabs')[1].split("</ul>")[0]
    links = [f'href="{detail_url(world.record)}">Overview</a>'] + [
        f'href="{tab_url(world.record, tab.key)}">{tab.label}</a>' for tab in RECORD_TABS[1:]]
    assert [bar.index(link) for link in links] == sorted(bar.index(link) for link in links)
    assert bar.count('aria-current="page"') == 1
    assert f'aria-current="page" href="{tab_url(world.record, "lineage")}"' in bar


def test_the_pages_under_a_tab_link_back_to_it_in_their_breadcrumbs(world, client_as):
    body = client_as("editor").get(reverse("modelrepo:artifact_register", kwargs={"product_id": world.record.pk}))
    crumbs = body.content.decode().split('class="breadcrumb"')[1].split("</ol>")[0]
    assert f'<a href="{tab_url(world.record, "artifacts")}">Artifacts</a>' in crumbs
    assert '<li class="breadcrumb-item active" aria-current="page">Register external file</li>' in crumbs
