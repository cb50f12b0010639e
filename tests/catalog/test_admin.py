import pytest
from django.urls import reverse

from catalog.models import AuditEvent, Space
from tests.conftest import make_user


@pytest.fixture
def operator(world):
    return make_user("operator", is_staff=True, is_superuser=True)


def test_every_model_has_an_admin_changelist(client, operator):
    client.force_login(operator)
    for name in ["catalog_organization", "catalog_space", "catalog_organizationmembership", "catalog_spacemembership",
                 "catalog_apitoken", "catalog_tag", "catalog_product", "catalog_comment", "catalog_attachment",
                 "modelrepo_modeldetails",
                 "catalog_productrole", "catalog_auditevent", "catalog_auditchainhead"]:
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name


def test_the_audit_log_and_product_roles_keep_their_earlier_admin_addresses(client, operator, world):
    client.force_login(operator)
    event = AuditEvent.objects.first()
    response = client.get(f"/admin/governance/auditevent/{event.pk}/change/?_changelist_filters=x")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/catalog/auditevent/{event.pk}/change/?_changelist_filters=x"
    assert client.get("/admin/governance/productrole/", follow=True).status_code == 200


def test_an_operator_changes_a_space_limit_and_the_change_is_audited(client, operator, world):
    client.force_login(operator)
    url = reverse("admin:catalog_space_change", args=[world.lab.pk])
    response = client.post(url, {
        "organization": world.org.pk, "slug": "lab", "name": "Lab", "description": "", "catalog_product_limit": "5",
        "change_policy": '{"risk_classification": true}',
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content[:2000]
    assert Space.objects.get(pk=world.lab.pk).catalog_product_limit == 5
    event = AuditEvent.objects.filter(action="space.updated").get()
    assert event.changes["catalog_product_limit"] == {"old": None, "new": 5}
    assert event.actor_name == "operator"


def test_audit_events_cannot_be_changed_or_deleted_in_the_admin(client, operator, world):
    client.force_login(operator)
    event = AuditEvent.objects.first()
    change_url = reverse("admin:catalog_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200
    client.post(change_url, {"action": "tampered"})
    assert AuditEvent.objects.get(pk=event.pk).action == event.action
    assert client.post(reverse("admin:catalog_auditevent_delete", args=[event.pk])).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_products_are_read_only_in_the_admin(client, operator, world):
    client.force_login(operator)
    url = reverse("admin:catalog_product_change", args=[world.record.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "Renamed"})
    world.record.refresh_from_db()
    assert world.record.name == "Churn predictor"
    assert client.get(reverse("admin:catalog_product_add")).status_code == 403


def test_staff_without_a_space_role_see_no_products_in_the_admin(client, world):
    staff = make_user("staffer", is_staff=True)
    from django.contrib.auth.models import Permission
    staff.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(staff)
    response = client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 200
    assert b"Churn predictor" not in response.content
