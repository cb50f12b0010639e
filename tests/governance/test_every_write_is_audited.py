"""Every public service write appends exactly one audit event. The walk names each service
function; a new function that takes an ``actor`` and is neither walked nor exempted (with a
reason) fails ``test_every_service_function_is_walked``, so nobody adds a write without
deciding how it is audited."""

import hashlib
import inspect
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import collab, roles
from catalog import services as catalog_services
from catalog.choices import OrganizationRole, SpaceRole
from catalog.models import AuditEvent
from governance import space_policy
from modelrepo import artifacts, ingest, training, versions
from modelrepo import services as modelrepo_services
from tests.conftest import make_user
from uploads import services as upload_services

MODULES = [catalog_services, collab, roles, modelrepo_services, versions, artifacts, training,
           ingest, upload_services]

# Functions that take an actor but are not single audited writes, and why.
EXEMPT = {
    "uploads.services.chunk_receive": "bytes arriving; the upload is audited when it starts and when it completes",
    "uploads.services.session_list": "a read",
    "modelrepo.versions.version_release": "needs the release work's signing set-up; its tests count the event",
    "modelrepo.versions.version_deprecate": "applies to released versions only; see version_release",
    "modelrepo.versions.version_yank": "applies to released versions only; see version_release",
    "catalog.services.product_apply_update": "a step inside model_record_update, which records the one event",
    "modelrepo.services.authorise_change": "a check (edit access or an approved change request), not a write",
    "catalog.roles.resolve_assignee": "a read",
    "catalog.collab.comment_list": "a read",
    "catalog.collab.attachment_list": "a read",
}


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _version(world, label="1.0.0"):
    return versions.version_create(actor=world.editor, product=world.record, data={"label": label, "kind": "release"})


def _reference(world, name="ext.bin"):
    return artifacts.artifact_register_reference(
        actor=world.editor, product=world.record, file_name=name, uri=f"https://example.com/{name}", size_bytes=3,
        sha256="a" * 64, kind="weights")


def _session(world, data=b"abcd"):
    return upload_services.session_start(actor=world.editor, product=world.record, file_name="m.bin",
                                         total_size=len(data), artifact_kind="weights")


def _receive(session, data=b"abcd"):
    stream = io.BytesIO(data)
    upload_services.chunk_receive(session=session, index_raw="0", content_length=str(len(data)), content_digest=None,
                                  read=stream.read)


def _complete(world, session):
    upload_services.session_complete(actor=world.editor, session=session)
    upload_services.session_assemble(session.pk)


def _role(world, username="viewer", role="steward"):
    return roles.product_role_assign(actor=world.space_admin, product=world.record,
                                                   user=world.users[username], role=role)


def _attachment(world):
    return collab.attachment_upload(actor=world.editor, product=world.record,
                                    uploaded_file=SimpleUploadedFile("notes.txt", b"hello"))


# name → setup(world) returning the one call to measure
WALK = {
    "catalog.services.product_create": lambda w: lambda: catalog_services.product_create(
        actor=w.editor, space=w.lab, data={"name": "Plain product", "product_type": "dataset"}),
    "catalog.services.api_token_create": lambda w: lambda: catalog_services.api_token_create(actor=w.editor, name="t"),
    "catalog.services.api_token_revoke": lambda w: (lambda token: lambda: catalog_services.api_token_revoke(
        actor=w.editor, token=token))(catalog_services.api_token_create(actor=w.editor, name="t")[0]),
    "catalog.services.organization_create": lambda w: lambda: catalog_services.organization_create(
        actor=w.org_admin, slug="globex", name="Globex"),
    "catalog.services.space_create": lambda w: lambda: catalog_services.space_create(
        actor=w.org_admin, organization=w.org, slug="new-space", name="New space"),
    "catalog.services.organization_membership_set": lambda w: lambda: catalog_services.organization_membership_set(
        actor=w.org_admin, organization=w.org, user=make_user("newcomer"), role=OrganizationRole.MEMBER),
    "catalog.services.space_membership_set": lambda w: lambda: catalog_services.space_membership_set(
        actor=w.space_admin, space=w.lab, user=w.org_member, role=SpaceRole.VIEWER),
    "catalog.services.space_member_add": lambda w: lambda: catalog_services.space_member_add(
        actor=w.space_admin, space=w.lab, user=w.org_member, role=SpaceRole.VIEWER),
    "catalog.services.space_member_change_role": lambda w: lambda: catalog_services.space_member_change_role(
        actor=w.space_admin, space=w.lab, user=w.viewer, role=SpaceRole.MEMBER),
    "catalog.services.space_membership_remove": lambda w: lambda: catalog_services.space_membership_remove(
        actor=w.space_admin, space=w.lab, user=w.viewer),
    "catalog.collab.comment_create": lambda w: lambda: collab.comment_create(actor=w.member, product=w.record, body="hi"),
    "catalog.collab.comment_update": lambda w: (lambda c: lambda: collab.comment_update(
        actor=w.member, comment=c, body="edited"))(collab.comment_create(actor=w.member, product=w.record, body="hi")),
    "catalog.collab.comment_delete": lambda w: (lambda c: lambda: collab.comment_delete(
        actor=w.member, comment=c))(collab.comment_create(actor=w.member, product=w.record, body="hi")),
    "catalog.collab.attachment_upload": lambda w: lambda: _attachment(w),
    "catalog.collab.attachment_delete": lambda w: (lambda a: lambda: collab.attachment_delete(
        actor=w.editor, attachment=a))(_attachment(w)),
    "catalog.roles.product_role_assign": lambda w: lambda: _role(w),
    "catalog.roles.product_role_remove": lambda w: (lambda r: lambda: roles.product_role_remove(
        actor=w.space_admin, product_role=r))(_role(w)),
    "modelrepo.services.model_record_create": lambda w: lambda: modelrepo_services.model_record_create(
        actor=w.editor, space=w.lab, data={"name": "Another model"}),
    "modelrepo.services.model_record_update": lambda w: lambda: modelrepo_services.model_record_update(
        actor=w.editor, product=w.record, data={"description": "changed"}),
    "modelrepo.services.artifact_create_from_upload": lambda w: (lambda s: (_receive(s), lambda: _complete(w, s))[1])(
        _session(w)),
    "modelrepo.ingest.artifact_ingest": lambda w: (lambda s: (_receive(s), lambda: _complete(w, s))[1])(_session(w)),
    "modelrepo.versions.version_create": lambda w: lambda: _version(w),
    "modelrepo.versions.version_update": lambda w: (lambda v: lambda: versions.version_update(
        actor=w.editor, product=w.record, version=v, data={"release_notes": "notes"}))(_version(w)),
    "modelrepo.versions.version_make_current": lambda w: (lambda v: lambda: versions.version_make_current(
        actor=w.editor, product=w.record, version=v))(_version(w)),
    "modelrepo.versions.version_rollback": lambda w: (lambda a, b: (
        versions.version_make_current(actor=w.editor, product=w.record, version=a),
        versions.version_make_current(actor=w.editor, product=w.record, version=b),
        lambda: versions.version_rollback(actor=w.editor, product=w.record))[2])(_version(w, "1"), _version(w, "2")),
    "modelrepo.artifacts.artifact_register_reference": lambda w: lambda: _reference(w),
    "modelrepo.artifacts.artifact_make_current": lambda w: (lambda a: lambda: artifacts.artifact_make_current(
        actor=w.editor, product=w.record, artifact=a))(_reference(w)),
    "modelrepo.artifacts.artifact_delete": lambda w: (lambda a: lambda: artifacts.artifact_delete(
        actor=w.editor, product=w.record, artifact=a))(_reference(w)),
    "modelrepo.artifacts.artifact_record_download": lambda w: (lambda a: lambda: artifacts.artifact_record_download(
        actor=w.viewer, artifact=a, delivery="redirect"))(_reference(w)),
    "modelrepo.training.training_run_create": lambda w: lambda: training.training_run_create(
        actor=w.editor, product=w.record, data={"name": "run-1"}),
    "modelrepo.training.training_run_update": lambda w: (lambda r: lambda: training.training_run_update(
        actor=w.editor, product=w.record, run=r, data={"name": "run-1", "notes": "n"}))(
        training.training_run_create(actor=w.editor, product=w.record, data={"name": "run-1"})),
    "modelrepo.training.training_run_delete": lambda w: (lambda r: lambda: training.training_run_delete(
        actor=w.editor, product=w.record, run=r))(
        training.training_run_create(actor=w.editor, product=w.record, data={"name": "run-1"})),
    "uploads.services.session_start": lambda w: lambda: _session(w),
    "uploads.services.session_complete": lambda w: (lambda s: (_receive(s), lambda: _complete(w, s))[1])(_session(w)),
    "uploads.services.session_abort": lambda w: (lambda s: lambda: upload_services.session_abort(
        actor=w.editor, session=s))(_session(w)),
}


# The space change policy, edited by space admins.
MODULES.append(space_policy)
WALK["governance.space_policy.space_change_policy_update"] = lambda w: lambda: space_policy.space_change_policy_update(
    actor=w.space_admin, space=w.lab, rules={"risk_classification": False})


def _writes_with_an_actor():
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            if "actor" in inspect.signature(fn).parameters:
                yield f"{module.__name__}.{name}"


def test_every_service_function_is_walked():
    unwalked = sorted(set(_writes_with_an_actor()) - set(WALK) - set(EXEMPT))
    assert unwalked == [], "walk these in WALK (one audit event each) or exempt them with a reason"


@pytest.mark.parametrize("name", sorted(WALK))
def test_each_service_write_appends_exactly_one_audit_event(name, world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    module, _, function = name.rpartition(".")
    if not hasattr(__import__(module, fromlist=[function]), function):
        pytest.skip(f"{name} is not in this checkout")
    call = WALK[name](world)
    before = AuditEvent.objects.count()
    call()
    assert AuditEvent.objects.count() == before + 1
