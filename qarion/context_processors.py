from governance import access


def navigation(request):
    """The organizations the signed-in user belongs to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_organizations": access.visible_organizations(user)}
