"""The inbox: the change requests waiting for my review and the access requests waiting for my
decision, and my own requests of both kinds."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance import access_requests, change_requests
from governance.views.access_requests import target_label


@login_required
@require_GET
def inbox(request):
    user = request.user
    to_decide = access_requests.access_requests_to_decide(user=user)
    mine = access_requests.access_request_list(user=user).filter(requester=user)
    return render(request, "governance/inbox.html", {
        "change_requests_to_review": change_requests.change_requests_to_review(user=user),
        "access_requests_to_decide": [(ar, target_label(user, ar)) for ar in to_decide],
        "my_change_requests": change_requests.change_request_list(user=user).filter(requester=user)[:50],
        "my_access_requests": [(ar, target_label(user, ar)) for ar in mine[:50]],
    })
