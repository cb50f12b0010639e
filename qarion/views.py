from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from catalog import access


@login_required
def home(request):
    """Send the user to their organization's model repository (or say they have none)."""
    organization = access.visible_organizations(request.user).first()
    if organization is None:
        return render(request, "no_organization.html", status=200)
    return redirect("modelrepo:org_model_list", org_slug=organization.slug)
