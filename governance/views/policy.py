"""The page of a space's change policy: its admins (and organization admins) turn each
rule on or off. Who cannot see the space gets 404; who sees it but does not manage it, 403."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import access
from catalog import selectors as catalog_selectors
from common.messages import perform
from governance.space_policy import space_change_policy_update
from modelrepo import policy


@login_required
@require_http_methods(["GET", "POST"])
def space_change_policy(request, space_slug):
    space = catalog_selectors.visible_space(request.user, space_slug)
    if not access.can(request.user, access.MANAGE, space):
        raise PermissionDenied("Only space admins and organization admins change the space's change policy.")
    if request.method == "POST":
        chosen = set(request.POST.getlist("rules"))
        perform(request, lambda: space_change_policy_update(
            actor=request.user, space=space, rules={name: name in chosen for name in policy.RULE_LABELS},
        ), f"Change policy of {space.name} saved.")
        return redirect("governance:space_change_policy", space_slug=space.slug)
    current = policy.rules(space)
    return render(request, "governance/policy/space_change_policy.html", {
        "space": space, "organization": space.organization,
        "rules": [(name, label, current[name]) for name, label in policy.RULE_LABELS.items()]})
