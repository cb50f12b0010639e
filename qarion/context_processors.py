from catalog import access


def navigation(request):
    """The organizations the signed-in user belongs to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_organizations": access.visible_organizations(user)}


def inbox(request):
    """How many requests wait for the signed-in user: change requests to review plus access
    requests to decide, counted in one query, run only when a template shows the count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from django.utils.functional import SimpleLazyObject

    from governance import access_requests, change_requests

    def count():
        to_review = change_requests.change_requests_to_review(user=user).order_by().values_list("pk")
        to_decide = access_requests.access_requests_to_decide(user=user).order_by().values_list("pk")
        return to_review.union(to_decide, all=True).count()

    return {"nav_inbox_count": SimpleLazyObject(count)}
