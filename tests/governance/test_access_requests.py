"""Access requests: request, grant (at once in the access policy), revoke, reject, cancel; an
unknown product answers like a hidden one."""

import uuid

import pytest

from catalog import access
from catalog.choices import ProductRoleName
from catalog.models import AuditEvent, ProductRole, SpaceMembership
from common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from governance import access_requests as ar

pytestmark = pytest.mark.django_db


def ask(world, user=None, level="view", product=None):
    return ar.access_request_create(actor=user or world.org_member, product_id=(product or world.record).pk,
                                    level=level, justification="I audit this model.")


def test_a_granted_user_can_view_and_a_revoked_one_no_longer_can(world):
    request = ask(world)
    assert not access.can(world.org_member, access.VIEW, world.record)
    ar.access_request_grant(actor=world.space_admin, access_request=request)
    assert access.can(world.org_member, access.VIEW, world.record)
    assert not access.can(world.org_member, access.EDIT, world.record)
    assert world.record in access.restrict(type(world.record).objects.all(), world.org_member)
    assert world.other_record not in access.restrict(type(world.record).objects.all(), world.org_member)
    ar.access_request_revoke(actor=world.space_admin, access_request=request)
    assert not access.can(world.org_member, access.VIEW, world.record)
    assert world.record not in access.restrict(type(world.record).objects.all(), world.org_member)
    actions = set(AuditEvent.objects.filter(target_id=str(world.record.pk)).values_list("action", flat=True))
    assert {"access_request.opened", "access_request.granted", "access_request.revoked"} <= actions


def test_an_edit_grant_gives_edit(world):
    request = ask(world, level="edit")
    ar.access_request_grant(actor=world.space_admin, access_request=request)
    assert access.can(world.org_member, access.EDIT, world.record)


def test_product_owners_and_stewards_decide_but_editors_do_not(world):
    owner = world.users["editor"]
    steward = world.member
    ProductRole.objects.create(product=world.record, user=steward, role=ProductRoleName.STEWARD)
    request = ask(world)
    with pytest.raises(PermissionDenied):
        ar.access_request_grant(actor=owner, access_request=request)
    with pytest.raises(PermissionDenied):
        ar.access_request_grant(actor=world.org_member, access_request=request)
    assert ar.access_request_grant(actor=steward, access_request=request).status == "granted"


def test_rejecting_needs_notes(world):
    request = ask(world)
    with pytest.raises(ValidationFailed):
        ar.access_request_reject(actor=world.space_admin, access_request=request)
    request = ar.access_request_reject(actor=world.space_admin, access_request=request, notes="Not needed.")
    assert request.status == "rejected" and request.decided_by == world.space_admin
    assert not access.can(world.org_member, access.VIEW, world.record)


def test_the_requester_cancels(world):
    request = ask(world)
    with pytest.raises(PermissionDenied):
        ar.access_request_cancel(actor=world.space_admin, access_request=request)
    assert ar.access_request_cancel(actor=world.org_member, access_request=request).status == "cancelled"
    with pytest.raises(Conflict):
        ar.access_request_grant(actor=world.space_admin, access_request=request)


def test_an_unknown_product_looks_the_same_as_a_hidden_one(world, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x")
    with pytest.raises(NotFound) as unknown:
        ar.access_request_create(actor=world.org_member, product_id=uuid.uuid4(), level="view", justification="J")
    with pytest.raises(NotFound) as hidden:
        ar.access_request_create(actor=stranger, product_id=world.record.pk, level="view", justification="J")
    with pytest.raises(NotFound) as malformed:
        ar.access_request_create(actor=world.org_member, product_id="nope", level="view", justification="J")
    assert unknown.value.message == hidden.value.message == malformed.value.message


def test_bad_input_and_duplicates_are_refused(world):
    with pytest.raises(ValidationFailed):
        ask(world, level="admin")
    with pytest.raises(ValidationFailed):
        ar.access_request_create(actor=world.org_member, product_id=world.record.pk, level="view", justification=" ")
    ask(world)
    with pytest.raises(Conflict):
        ask(world)
    with pytest.raises(Conflict):
        ask(world, user=world.viewer)  # already has view


def test_a_granted_space_request_is_a_membership_until_revoked(world):
    request = ar.access_request_create(actor=world.org_member, space=world.other, level="view", justification="J")
    with pytest.raises(PermissionDenied):
        ar.access_request_grant(actor=world.space_admin, access_request=request)  # admin of lab, not other
    ar.access_request_grant(actor=world.org_admin, access_request=request)
    assert SpaceMembership.objects.filter(user=world.org_member, space=world.other, role="viewer").exists()
    ar.access_request_revoke(actor=world.org_admin, access_request=request)
    assert not SpaceMembership.objects.filter(user=world.org_member, space=world.other).exists()


def test_lists_show_my_requests_and_those_i_decide(world):
    request = ask(world)
    assert request in ar.access_request_list(user=world.org_member)
    assert request in ar.access_request_list(user=world.space_admin)
    assert request not in ar.access_request_list(user=world.editor)
    with pytest.raises(NotFound):
        ar.visible_access_request(user=world.outsider, access_request_id=request.pk)
