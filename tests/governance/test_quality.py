"""Quality checks and health: each built-in check passes and fails on purpose-built records,
every run keeps its results, the health score, custom checks and results posted by automation,
and who may do what."""

import pytest

from catalog import health, products
from catalog.models import ProductRole, QualityCheck, QualityResult
from governance import quality
from modelrepo.models import Artifact
from tests.conftest import make_record

SHA = "a" * 64
HIGH_COMPLETE = {"risk_classification": "high", "intended_use": "Churn scoring", "limitations": "EU only",
                 "risk_rationale": "Affects access to services"}
GPAI_COMPLETE = {"is_gpai": True, "training_compute_flops": 1e24, "training_data_summary": "Web text",
                 "copyright_policy_url": "https://example.com/c", "acceptable_use_policy_url": "https://example.com/a",
                 "downstream_obligations_doc": "See the model card"}


def artifact(product, kind="model_binary", current=False, integrity="verified", name=None):
    return Artifact.objects.create(product=product, file_name=name or f"{kind}.bin", size_bytes=1, sha256=SHA,
                                   kind=kind, upload_status="external", external_uri="s3://b/k",
                                   is_current=current, integrity=integrity)


def record(world, name="Scored", **fields):
    return make_record(actor=world.editor, space=world.lab, name=name, **fields)


def latest(product, check_type):
    check = QualityCheck.objects.get(product=product, check_type=check_type)
    return check.results.order_by("-executed_at", "-id").first()


@pytest.mark.parametrize("fields, with_artifacts, expected, fix", [
    ({"risk_classification": "minimal"}, False, "passed", ""),
    ({"risk_classification": "limited"}, False, "passed", ""),
    ({"risk_classification": "unclassified"}, False, "passed", ""),
    ({"risk_classification": "unacceptable", "intended_use": "x"}, True, "failed", "field:risk_classification"),
    (HIGH_COMPLETE, True, "passed", ""),
    ({**HIGH_COMPLETE, "limitations": ""}, True, "failed", "field:limitations"),
    ({**HIGH_COMPLETE, "intended_use": ""}, True, "failed", "field:intended_use"),
    ({**HIGH_COMPLETE, "risk_rationale": ""}, True, "failed", "field:risk_rationale"),
])
def test_documentation_completeness_follows_the_risk_class(world, fields, with_artifacts, expected, fix):
    product = record(world, **fields)
    if with_artifacts:
        artifact(product, "model_card")
        artifact(product, "eval_report")
    quality.checks_run(product=product)
    result = latest(product, "documentation")
    assert (result.status, result.fix) == (expected, fix)
    if expected == "failed":
        assert result.message


@pytest.mark.parametrize("kind, check_type", [("model_card", "model_card"), ("eval_report", "eval_report")])
@pytest.mark.parametrize("risk, present, expected", [
    ("high", True, "passed"), ("high", False, "failed"), ("minimal", False, "passed"),
])
def test_high_risk_records_need_a_model_card_and_an_eval_report(world, kind, check_type, risk, present, expected):
    product = record(world, risk_classification=risk)
    if present:
        artifact(product, kind)
    quality.checks_run(product=product)
    result = latest(product, check_type)
    assert result.status == expected
    if expected == "failed":
        assert result.fix == "artifacts"


def test_a_deleted_model_card_does_not_count(world):
    from django.utils import timezone
    product = record(world, risk_classification="high")
    Artifact.objects.filter(pk=artifact(product, "model_card").pk).update(deleted_at=timezone.now())
    quality.checks_run(product=product)
    assert latest(product, "model_card").status == "failed"


@pytest.mark.parametrize("fields, expected, fix", [
    ({"is_gpai": False}, "passed", ""),
    (GPAI_COMPLETE, "passed", ""),
    ({**GPAI_COMPLETE, "training_compute_flops": None}, "failed", "field:training_compute_flops"),
    ({**GPAI_COMPLETE, "training_data_summary": ""}, "failed", "field:training_data_summary"),
    ({**GPAI_COMPLETE, "copyright_policy_url": ""}, "failed", "field:copyright_policy_url"),
    ({**GPAI_COMPLETE, "acceptable_use_policy_url": ""}, "failed", "field:acceptable_use_policy_url"),
    ({**GPAI_COMPLETE, "downstream_obligations_doc": ""}, "failed", "field:downstream_obligations_doc"),
    ({**GPAI_COMPLETE, "copyright_policy_url": "", "acceptable_use_policy_url": "", "open_source_license": "Apache-2.0"},
     "passed", ""),
    ({**GPAI_COMPLETE, "training_data_summary": "", "open_source_license": "Apache-2.0"},
     "failed", "field:training_data_summary"),
])
def test_gpai_duties_and_the_open_source_exemption(world, fields, expected, fix):
    product = record(world, **fields)
    quality.checks_run(product=product)
    result = latest(product, "gpai_duties")
    assert (result.status, result.fix) == (expected, fix)


@pytest.mark.parametrize("current, integrity, expected", [
    (True, "verified", "passed"), (True, "corrupted", "failed"), (True, "missing", "failed"), (True, "", "failed"),
    (False, "verified", "failed"),
])
def test_the_current_artifact_checksum_must_be_verified(world, current, integrity, expected):
    product = record(world)
    artifact(product, current=current, integrity=integrity)
    quality.checks_run(product=product)
    assert latest(product, "checksum").status == expected


@pytest.mark.parametrize("roles, risk, owner_expected, steward_expected", [
    ([], "minimal", "failed", "passed"),
    (["owner"], "minimal", "passed", "passed"),
    (["owner"], "high", "passed", "failed"),
    (["owner", "steward"], "high", "passed", "passed"),
    (["steward"], "high", "failed", "passed"),
])
def test_owner_and_steward_checks(world, roles, risk, owner_expected, steward_expected):
    product = record(world, risk_classification=risk)
    for role in roles:
        ProductRole.objects.create(product=product, user=world.editor, role=role)
    quality.checks_run(product=product)
    assert latest(product, "owner").status == owner_expected
    assert latest(product, "steward").status == steward_expected
    if owner_expected == "failed":
        assert latest(product, "owner").fix == "roles"


def test_every_run_keeps_its_results_and_the_health_follows_the_latest(world):
    product = record(world, **HIGH_COMPLETE)
    artifact(product, "model_card")
    artifact(product, "eval_report")
    artifact(product, current=True)
    quality.checks_run(product=product)
    # owner and steward fail: 5 of 7
    assert health.health_score(product) == round(100 * 5 / 7)
    ProductRole.objects.create(product=product, user=world.editor, role="owner")
    ProductRole.objects.create(product=product, user=world.editor, role="steward")
    quality.checks_run(product=product)
    assert health.health_score(product) == 100
    owner = QualityCheck.objects.get(product=product, check_type="owner")
    assert list(owner.results.order_by("executed_at", "id").values_list("status", flat=True)) == ["failed", "passed"]
    assert QualityResult.objects.filter(check_ref__product=product).count() == 14
    assert quality.failing_checks(product) == []


def test_health_is_none_before_any_run_and_ignores_disabled_checks(world):
    product = record(world)
    assert health.health_score(product) is None
    quality.checks_run(product=product)
    QualityCheck.objects.filter(product=product, check_type__in=["owner", "checksum"]).update(enabled=False)
    assert health.health_score(product) == 100


def test_the_record_list_annotation_sorts_by_health(world):
    healthy = record(world, name="Healthy")
    artifact(healthy, current=True)
    ProductRole.objects.create(product=healthy, user=world.editor, role="owner")
    sick = record(world, name="Sick", risk_classification="unacceptable")
    for p in (healthy, sick):
        quality.checks_run(product=p)
    from catalog.models import Product
    ordered = list(health.with_health(Product.objects.filter(pk__in=[healthy.pk, sick.pk])).order_by("health")
                   .values_list("name", "health"))
    assert ordered[0][0] == "Sick" and ordered[1] == ("Healthy", 100.0)
    assert {r["name"] for r in health.space_failures(world.lab)} >= {"Owner assigned", "Documentation complete for the risk class"}


def test_data_products_only_get_the_owner_check(world):
    dataset = products.data_product_create(actor=world.editor, space=world.lab,
                                           data={"product_type": "dataset", "name": "Events"})
    quality.checks_run(product=dataset)
    assert list(QualityCheck.objects.filter(product=dataset).values_list("check_type", flat=True)) == ["owner"]


def test_a_failing_check_links_to_the_field_to_fill(world):
    product = record(world, risk_classification="high", intended_use="", limitations="x", risk_rationale="y")
    quality.checks_run(product=product)
    rows = {r["check"].check_type: r for r in quality.failing_checks(product)}
    assert rows["documentation"]["fix_url"] == f"/models/{product.pk}/edit/#id_intended_use"
    assert rows["owner"]["fix_url"] == f"/models/{product.pk}/governance/#role-username"


def test_checks_run_twice_only_appends_history(world):
    quality.checks_run(product=world.record)
    quality.checks_run(product=world.record)
    assert QualityCheck.objects.filter(product=world.record).count() == 7
    assert QualityResult.objects.filter(check_ref__product=world.record).count() == 14


def test_the_periodic_task_runs_every_product(world, settings):
    from governance.tasks import run_quality_checks
    assert run_quality_checks() >= 2
    assert "run-quality-checks" in settings.CELERY_BEAT_SCHEDULE
    assert QualityCheck.objects.filter(product=world.other_record).exists()


# --- after each relevant change --------------------------------------------------------------

@pytest.fixture
def started(monkeypatch):
    """The product ids whose checks were started, instead of running them."""
    from governance import tasks
    ids = []
    monkeypatch.setattr(tasks.run_product_quality_checks, "apply_async", lambda args, **options: ids.append(args[0]))
    return ids


@pytest.fixture
def checks_in_process(monkeypatch):
    """Started checks run here, as in the embedded shape, whatever broker the environment
    names: the test's transaction is invisible to a worker process."""
    from governance import tasks
    task = tasks.run_product_quality_checks
    monkeypatch.setattr(task, "apply_async", lambda args, **options: task.apply(args))


def test_a_record_update_and_an_artifact_deletion_rerun_the_checks(world, django_capture_on_commit_callbacks,
                                                                    checks_in_process):
    from modelrepo import artifacts as artifact_services
    from modelrepo import services as record_services
    product = record(world, **{**HIGH_COMPLETE, "intended_use": ""})
    artifact(product, "model_card")
    report = artifact(product, "eval_report")
    quality.checks_run(product=product)
    assert latest(product, "documentation").status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        record_services.model_record_update(actor=world.editor, product=product, data={"intended_use": "Churn"})
    assert latest(product, "documentation").status == "passed"
    assert latest(product, "eval_report").status == "passed"
    with django_capture_on_commit_callbacks(execute=True):
        artifact_services.artifact_delete(actor=world.editor, product=product, artifact=report)
    assert latest(product, "eval_report").status == "failed"


def test_assigning_an_owner_reruns_the_owner_check(world, django_capture_on_commit_callbacks, checks_in_process):
    from catalog import roles
    quality.checks_run(product=world.record)
    assert latest(world.record, "owner").status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        roles.product_role_assign(actor=world.space_admin, product=world.record, user=world.editor,
                                                role="owner")
    assert latest(world.record, "owner").status == "passed"


def test_events_that_change_no_check_schedule_nothing(world, django_capture_on_commit_callbacks, started):
    from catalog import collab
    from catalog import services as catalog_services
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.api_token_create(actor=world.editor, name="ci")
        catalog_services.space_membership_set(actor=world.space_admin, space=world.lab, user=world.org_member,
                                              role="viewer")
        collab.comment_create(actor=world.member, product=world.record, body="Looks good")
        quality.checks_run(product=world.record)  # a run records no event, so it never schedules another
    assert started == []


def test_several_writes_in_one_transaction_schedule_one_run(world, django_capture_on_commit_callbacks, started):
    from django.db import transaction

    from catalog import roles
    from modelrepo import services as record_services
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record_services.model_record_update(actor=world.editor, product=world.record, data={"limitations": "EU"})
            record_services.model_record_update(actor=world.editor, product=world.record, data={"intended_use": "x"})
            roles.product_role_assign(actor=world.space_admin, product=world.record,
                                                    user=world.editor, role="owner")
            record_services.model_record_update(actor=world.outsider, product=world.other_record,
                                                data={"limitations": "none"})
    assert sorted(started) == sorted([str(world.record.pk), str(world.other_record.pk)])


def test_a_rolled_back_savepoint_does_not_swallow_the_next_run(world, django_capture_on_commit_callbacks, started):
    from django.db import transaction

    from modelrepo import services as record_services
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record_services.model_record_update(actor=world.editor, product=world.record,
                                                        data={"limitations": "EU"})
                    raise RuntimeError("undone")
            except RuntimeError:
                pass
            record_services.model_record_update(actor=world.editor, product=world.record, data={"limitations": "US"})
    assert started == [str(world.record.pk)]


def test_an_unreachable_broker_does_not_fail_the_write(world, django_capture_on_commit_callbacks, monkeypatch,
                                                       caplog):
    from governance import tasks
    from modelrepo import services as record_services

    def refuse(args, **options):
        assert options.get("retry") is False  # the write does not wait for publish retries
        raise ConnectionRefusedError("no broker")
    monkeypatch.setattr(tasks.run_product_quality_checks, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        product = record_services.model_record_update(actor=world.editor, product=world.record,
                                                      data={"limitations": "EU"})
    assert product.model_details.limitations == "EU"
    assert "Could not start the quality checks" in caplog.text


# --- the API ---------------------------------------------------------------------------------

def quality_url(product, suffix=""):
    return f"/api/v1.0/catalog/products/{product.pk}/quality{suffix}"


def results_url(check):
    return f"/api/v1.0/governance/quality-checks/{check.pk}/results"


def custom_check(world, product=None):
    return quality.custom_check_create(actor=world.editor, product=product or world.record, name="Drift below 5%",
                                       severity="warning")


@pytest.mark.parametrize("username, expected", [
    ("viewer", 403), ("member", 403), ("editor", 201), ("space_admin", 201), ("org_admin", 201),
    ("outsider", 404), ("org_member", 404),
])
def test_posting_a_result_needs_edit_access(world, api_as, username, expected):
    check = custom_check(world)
    response = api_as(username).post(results_url(check), {"status": "failed", "value": 7.2, "message": "Drift 7.2%"},
                                     format="json")
    assert response.status_code == expected
    assert check.results.count() == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json()["status"] == "failed"
        check.refresh_from_db()
        assert check.last_status == "failed"


def test_posting_a_result_anonymously_is_refused(world, api_client):
    check = custom_check(world)
    response = api_client.post(results_url(check), {"status": "passed"}, format="json")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("bad", ["ok", "PASSED", "", None])
def test_a_bad_status_is_refused_in_the_error_format(world, api_as, bad):
    check = custom_check(world)
    response = api_as("editor").post(results_url(check), {"status": bad}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"] and "status" in error["details"]
    assert check.results.count() == 0


def test_a_read_token_cannot_post_results(world, api_as):
    check = custom_check(world)
    response = api_as("editor", scope="read").post(results_url(check), {"status": "passed"}, format="json")
    assert response.status_code == 403


def test_results_are_kept_and_listed_newest_first(world, api_as):
    check = custom_check(world)
    client = api_as("editor")
    for status in ("failed", "passed"):
        assert client.post(results_url(check), {"status": status}, format="json").status_code == 201
    body = api_as("viewer").get(results_url(check)).json()
    assert [r["status"] for r in body["results"]] == ["passed", "failed"]
    assert api_as("outsider").get(results_url(check)).status_code == 404
    assert api_as("editor").get("/api/v1.0/governance/quality-checks/not-a-uuid/results").status_code == 404


@pytest.mark.parametrize("username, expected", [
    ("viewer", 403), ("member", 403), ("editor", 201), ("space_admin", 201), ("org_admin", 201), ("outsider", 404),
])
def test_declaring_a_custom_check_needs_edit_access(world, api_as, username, expected):
    response = api_as(username).post(quality_url(world.record, "/checks"),
                                     {"name": "Bias audit", "severity": "critical"}, format="json")
    assert response.status_code == expected
    assert QualityCheck.objects.filter(name="Bias audit").count() == (1 if expected == 201 else 0)


def test_a_custom_check_with_a_bad_severity_or_a_taken_name_is_refused(world, api_as):
    client = api_as("editor")
    assert client.post(quality_url(world.record, "/checks"), {"name": "X", "severity": "fatal"},
                       format="json").status_code == 400
    assert client.post(quality_url(world.record, "/checks"), {"name": "X"}, format="json").status_code == 201
    response = client.post(quality_url(world.record, "/checks"), {"name": "X"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "duplicate"


@pytest.mark.parametrize("username, get_expected, run_expected", [
    ("viewer", 200, 403), ("member", 200, 403), ("editor", 200, 200), ("space_admin", 200, 200),
    ("org_admin", 200, 200), ("outsider", 404, 404), ("org_member", 404, 404),
])
def test_health_and_running_the_checks_by_role(world, api_as, username, get_expected, run_expected):
    client = api_as(username)
    assert client.get(quality_url(world.record)).status_code == get_expected
    response = client.post(quality_url(world.record, "/run"))
    assert response.status_code == run_expected
    if run_expected == 200:
        body = response.json()
        assert 0 <= body["health"] <= 100
        assert {f["check"]["check_type"] for f in body["failing"]} >= {"owner", "checksum"}
        assert any(f["fix_url"].endswith("#role-username") for f in body["failing"])
    else:
        assert not QualityResult.objects.exists()
    assert client.get(quality_url(world.record, "/checks")).status_code == get_expected


# --- the pages -------------------------------------------------------------------------------

def governance_tab(product):
    return f"/models/{product.pk}/governance/"


def test_the_governance_tab_shows_the_health_and_the_failing_checks_with_what_to_do(world, client_as):
    product = record(world, name="High one", risk_classification="high")
    quality.checks_run(product=product)
    page = client_as("viewer").get(governance_tab(product)).content.decode()
    assert 'id="health"' in page and "Failing checks" in page
    assert f'href="/models/{product.pk}/edit/#id_intended_use"' in page
    assert "Run checks now" not in page  # viewers cannot run
    assert "Run checks now" in client_as("editor").get(governance_tab(product)).content.decode()


@pytest.mark.parametrize("username, expected", [
    ("viewer", 403), ("member", 403), ("editor", 302), ("space_admin", 302), ("org_admin", 302),
    ("outsider", 404), ("org_member", 404),
])
def test_running_the_checks_from_the_page_by_role(world, client_as, username, expected):
    response = client_as(username).post(f"/models/{world.record.pk}/quality/run/")
    assert response.status_code == expected
    assert QualityResult.objects.exists() == (expected == 302)
    if expected == 302:
        assert response["Location"].endswith("/governance/#health")


@pytest.mark.parametrize("username, expected", [
    ("viewer", 403), ("member", 403), ("editor", 302), ("space_admin", 302), ("outsider", 404),
])
def test_adding_a_custom_check_from_the_page_by_role(world, client_as, username, expected):
    response = client_as(username).post(f"/models/{world.record.pk}/quality/checks/new/",
                                        {"name": "Bias audit", "severity": "warning"})
    assert response.status_code == expected
    assert QualityCheck.objects.filter(name="Bias audit").exists() == (expected == 302)


@pytest.mark.parametrize("username, expected", [
    ("viewer", 200), ("member", 200), ("editor", 200), ("space_admin", 200), ("org_admin", 200),
    ("outsider", 404), ("org_member", 404),
])
def test_a_check_page_shows_its_history_and_trend_by_role(world, client_as, username, expected):
    check = custom_check(world)
    for status in ("failed", "error", "passed"):
        quality.result_post(actor=world.editor, check=check, status=status, message=f"run {status}")
    response = client_as(username).get(f"/quality-checks/{check.pk}/")
    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert page.count("<circle") == 3 and "run error" in page


def test_anonymous_users_are_sent_to_log_in(world, client):
    check = custom_check(world)
    for response in (client.get(f"/quality-checks/{check.pk}/"), client.post(f"/models/{world.record.pk}/quality/run/")):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(governance_tab(world.record)).status_code == 302


def test_the_record_list_filters_and_sorts_by_health_and_the_space_page_counts_failures(world, client_as, api_as):
    from catalog.models import ProductRole
    from governance import quality as quality_services
    from tests.conftest import make_record
    healthy = make_record(actor=world.editor, space=world.lab, name="Healthy one", risk_classification="minimal")
    ProductRole.objects.create(product=healthy, user=world.editor, role="owner")
    unchecked = make_record(actor=world.editor, space=world.lab, name="Never checked")
    quality_services.checks_run(product=world.record)  # no owner: fails
    quality_services.checks_run(product=healthy)
    from catalog.models import QualityCheck
    QualityCheck.objects.filter(product=healthy).exclude(last_status="passed").update(enabled=False)
    names = lambda response: [p.name for p in response.context["page_obj"].object_list]
    client = client_as("viewer")
    assert names(client.get("/s/lab/models/?health=failing")) == ["Churn predictor"]
    assert "Healthy one" in names(client.get("/s/lab/models/?health=passing"))
    assert "Churn predictor" not in names(client.get("/s/lab/models/?health=passing"))
    assert names(client.get("/s/lab/models/?health=unchecked")) == [unchecked.name]
    api = api_as("viewer").get("/api/v1.0/catalog/spaces/lab/model-repository/models?health=failing").json()
    assert [r["name"] for r in api["results"]] == ["Churn predictor"]
    by_health = [n for n in names(client.get("/s/lab/models/?ordering=health")) if n != unchecked.name]
    assert by_health.index("Churn predictor") < by_health.index("Healthy one")
    page = client.get("/s/lab/models/").content.decode()
    assert "Failing quality checks" in page and "Owner assigned" in page
    bad = api_as("viewer").get("/api/v1.0/catalog/spaces/lab/model-repository/models?health=bogus")
    assert bad.status_code == 400 and "health" in bad.json()["error"]["details"]
