import pytest

from catalog import access
from catalog.models import AccessRequest, Product, ProductRole
from tests.conftest import make_user

ROLE_EXPECTATIONS = {
    # user: (view, edit, create in lab, manage)
    "viewer": (True, False, False, False),
    "member": (True, False, False, False),
    "editor": (True, True, True, False),
    "space_admin": (True, True, True, True),
    "org_admin": (True, True, True, True),
    "outsider": (False, False, False, False),
    "org_member": (False, False, False, False),
}


@pytest.mark.parametrize("username", ROLE_EXPECTATIONS)
def test_space_and_organization_roles_grant_what_the_domain_says(world, username):
    user = world.users[username]
    view, edit, create, manage = ROLE_EXPECTATIONS[username]
    assert access.can(user, access.VIEW, world.record) is view
    assert access.can(user, access.EDIT, world.record) is edit
    assert access.can(user, access.CREATE_PRODUCT, world.lab) is create
    assert access.can(user, access.MANAGE, world.record) is manage
    visible = set(access.restrict(Product.objects.all(), user).values_list("name", flat=True))
    assert ("Churn predictor" in visible) is view


def test_a_member_may_comment_but_a_viewer_may_not(world):
    assert access.can(world.member, access.COMMENT, world.record)
    assert not access.can(world.viewer, access.COMMENT, world.record)


@pytest.mark.parametrize("role,edit,review,assign", [
    ("owner", True, True, True),
    ("steward", True, False, False),
    ("custodian", True, False, False),
    ("data_architect", False, True, False),
])
def test_product_roles_add_to_space_roles(world, role, edit, review, assign):
    ProductRole.objects.create(product=world.record, user=world.viewer, role=role)
    assert access.can(world.viewer, access.EDIT, world.record) is edit
    assert access.can(world.viewer, access.REVIEW, world.record) is review
    assert access.can(world.viewer, access.ASSIGN_ROLES, world.record) is assign
    # the role is on one product only
    assert not access.can(world.viewer, access.EDIT, world.other_record)


def test_a_product_role_alone_makes_that_product_visible_and_nothing_else(world):
    stranger = make_user("stranger")
    ProductRole.objects.create(product=world.other_record, user=stranger, role="steward")
    assert list(access.restrict(Product.objects.all(), stranger)) == [world.other_record]
    assert list(access.visible_spaces(stranger)) == [world.other]
    assert access.can(stranger, access.VIEW, world.other)
    assert not access.can(stranger, access.CREATE_PRODUCT, world.other)


def test_anonymous_and_inactive_users_get_nothing(world):
    from django.contrib.auth.models import AnonymousUser
    assert not access.can(AnonymousUser(), access.VIEW, world.record)
    assert access.restrict(Product.objects.all(), AnonymousUser()).count() == 0
    world.editor.is_active = False
    assert not access.can(world.editor, access.VIEW, world.record)


def test_organization_members_see_the_directory_but_no_contents(world):
    assert access.can(world.org_member, access.VIEW_DIRECTORY, world.org)
    assert list(access.visible_spaces(world.org_member)) == []
    assert set(access.visible_spaces(world.org_admin)) == {world.lab, world.other}


def test_grants_fetched_with_a_row_equal_the_ones_asked_for_and_cost_no_query(world, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from uploads.models import UploadSession
    ProductRole.objects.create(product=world.record, user=world.viewer, role="steward")
    ProductRole.objects.create(product=world.record, user=world.member, role="data_architect")
    AccessRequest.objects.create(requester=world.outsider, space=world.lab, product=world.record, level="edit",
                                 justification="j", status="granted")
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    session = UploadSession.objects.create(product=world.record, file_name="m.bin", total_size=1, chunk_size=1,
                                           total_chunks=1, artifact_kind="weights", expires_at="2100-01-01T00:00Z")
    for user in [*world.users.values(), root]:
        for record in (world.record, world.other_record):
            asked = access.permitted_actions(user, Product.objects.get(pk=record.pk))
            with django_assert_num_queries(1):
                fetched = access.get_with_grants(Product.objects.select_related("space"), user, pk=record.pk)
            with django_assert_num_queries(0):
                assert access.permitted_actions(user, fetched) == asked, (user.username, record.name)
        row = access.get_with_grants(UploadSession.objects.select_related("product__space"), user,
                                     product_path="product__", pk=session.pk)
        assert access.permitted_actions(user, row.product) == access.permitted_actions(user, Product.objects.get(pk=world.record.pk))
    # What one user may do is not taken for another's.
    fetched = access.get_with_grants(Product.objects.all(), world.editor, pk=world.record.pk)
    assert access.can(world.editor, access.EDIT, fetched) and not access.can(world.org_member, access.VIEW, fetched)


LISTED_ACTIONS = (access.VIEW, access.COMMENT, access.EDIT, access.REVIEW, access.APPROVE_ACCESS, access.MANAGE,
                  access.ASSIGN_ROLES)


def test_restrict_lists_exactly_the_products_on_which_can_allows_each_action(world):
    """``restrict(..., action=)`` and ``can`` read the same grant tables: for every user of the
    world, with product roles and a granted access request on top, both agree on every product."""
    outsider = world.users["outsider"]
    ProductRole.objects.create(product=world.other_record, user=world.viewer, role="owner")
    ProductRole.objects.create(product=world.record, user=world.member, role="data_architect")
    ProductRole.objects.create(product=world.record, user=world.users["org_member"], role="steward")
    AccessRequest.objects.create(requester=outsider, space=world.record.space, product=world.record, level="edit",
                                 justification="Audit.", status="granted")
    products = list(Product.objects.all())
    for username, user in world.users.items():
        for action in LISTED_ACTIONS:
            listed = set(access.restrict(Product.objects.all(), user, action=action).values_list("pk", flat=True))
            allowed = {p.pk for p in products if access.can(user, action, p)}
            assert listed == allowed, (username, action)
