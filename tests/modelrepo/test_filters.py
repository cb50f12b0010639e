"""Every filter of the model record list, alone and combined, returns exactly the right
records in both the space page and the space API (one FilterSet serves both)."""

import pytest

from catalog.models import Product
from modelrepo import services
from tests.conftest import make_record

RECORDS = [
    # name, fields, tags
    ("Alpha ranker", dict(model_family="traditional_ml", product_type="ml_model", deployment_status="production",
                          task_type="ranking", risk_classification="minimal", lifecycle_stage="monitoring"), ["search"]),
    ("Beta chat", dict(model_family="genai", product_type="llm_agent", deployment_status="staging",
                       task_type="llm", risk_classification="limited", lifecycle_stage="validation"), ["chat", "support"]),
    ("Gamma embedder", dict(model_family="embedding_model", product_type="ml_model", deployment_status="development",
                            task_type="embedding", risk_classification="minimal", lifecycle_stage="training"), ["search"]),
    ("Delta triage", dict(model_family="genai", product_type="ai_system", deployment_status="production",
                          task_type="classification", risk_classification="high", lifecycle_stage="deployment",
                          description="Routes support tickets"), ["support"]),
    ("Epsilon prompts", dict(model_family="prompt_collection", product_type="prompt_collection",
                             deployment_status="retired", task_type="other", risk_classification="unclassified",
                             lifecycle_stage="retirement"), []),
    ("Zeta archived", dict(model_family="genai", product_type="ml_model", deployment_status="retired",
                           task_type="llm", risk_classification="high", lifecycle_stage="retirement"), ["chat"]),
]

CASES = [
    ({}, {"Alpha ranker", "Beta chat", "Gamma embedder", "Delta triage", "Epsilon prompts"}),
    ({"search": "triage"}, {"Delta triage"}),
    ({"search": "TICKETS"}, {"Delta triage"}),
    ({"model_family": "genai"}, {"Beta chat", "Delta triage"}),
    ({"model_family": "genai,embedding_model"}, {"Beta chat", "Delta triage", "Gamma embedder"}),
    ({"product_type": "ml_model"}, {"Alpha ranker", "Gamma embedder"}),
    ({"product_type": "llm_agent,ai_system"}, {"Beta chat", "Delta triage"}),
    ({"deployment_status": "production"}, {"Alpha ranker", "Delta triage"}),
    ({"task_type": "llm"}, {"Beta chat"}),
    ({"task_type": "ranking,embedding"}, {"Alpha ranker", "Gamma embedder"}),
    ({"risk_classification": "high"}, {"Delta triage"}),
    ({"risk_classification": "minimal,limited"}, {"Alpha ranker", "Beta chat", "Gamma embedder"}),
    ({"lifecycle_stage": "training"}, {"Gamma embedder"}),
    ({"tag": "search"}, {"Alpha ranker", "Gamma embedder"}),
    ({"tag": "chat,support"}, {"Beta chat", "Delta triage"}),
    ({"archived": "true"}, {"Zeta archived"}),
    ({"archived": "all", "model_family": "genai"}, {"Beta chat", "Delta triage", "Zeta archived"}),
    ({"archived": "false"}, {"Alpha ranker", "Beta chat", "Gamma embedder", "Delta triage", "Epsilon prompts"}),
    ({"model_family": "genai", "deployment_status": "production"}, {"Delta triage"}),
    ({"tag": "search", "risk_classification": "minimal", "task_type": "embedding"}, {"Gamma embedder"}),
    ({"search": "a", "product_type": "ml_model", "deployment_status": "production,development"},
     {"Alpha ranker", "Gamma embedder"}),
    ({"archived": "all", "tag": "chat", "risk_classification": "high"}, {"Zeta archived"}),
    ({"model_family": "agent"}, set()),
]


@pytest.fixture
def catalog(world):
    Product.objects.filter(space=world.lab).delete()
    for name, fields, tags in RECORDS:
        product = make_record(actor=world.editor, space=world.lab, name=name, tags=tags, **fields)
        if name == "Zeta archived":
            services.model_record_update(actor=world.editor, product=product, data={"is_archived": True})
    return world


def _page_names(response) -> set[str]:
    assert response.status_code == 200
    return {product.name for product in response.context["page_obj"].object_list}


def _api_names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {record["name"] for record in response.json()["results"]}


@pytest.mark.parametrize("query,expected", CASES, ids=[repr(q) for q, _ in CASES])
def test_filters_give_the_same_exact_records_in_the_page_and_the_api(catalog, client_as, api_as, query, expected):
    params = {**query, "size": 100}
    page = client_as("viewer").get("/s/lab/models/", params)
    api = api_as("viewer").get("/api/v1.0/catalog/spaces/lab/model-repository/models", params)
    assert _page_names(page) == expected
    assert _api_names(api) == expected


def test_repeated_parameters_work_like_commas_in_the_page_and_the_api(catalog, client_as, api_as):
    query = "model_family=genai&model_family=embedding_model&tag=search&tag=support&size=100"
    expected = {"Gamma embedder", "Delta triage", "Beta chat"}
    assert _page_names(client_as("viewer").get(f"/s/lab/models/?{query}")) == expected
    assert _api_names(api_as("viewer").get(f"/api/v1.0/catalog/spaces/lab/model-repository/models?{query}")) == expected


def test_the_organization_scope_filters_by_space_too(catalog, client_as, api_as):
    for query, expected in [({"space": "lab", "model_family": "genai"}, {"Beta chat", "Delta triage"}),
                            ({"space": "other"}, {"Secret sauce"})]:
        params = {**query, "size": 100}
        assert _page_names(client_as("org_admin").get("/o/acme/models/", params)) == expected
        assert _api_names(api_as("org_admin").get("/api/v1.0/organizations/acme/model-repository/models", params)) == expected
