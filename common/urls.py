"""Routes from a table, for the addresses that apply one verb to one object
(``change-requests/<id>/apply/``, ``versions/<id>/release/``, ...)."""

from django.urls import path


def verb_routes(prefix: str, name: str, views: dict, *, slash: str = "/") -> list:
    """One route per ``{verb: view}``: ``<prefix>/<verb><slash>``, named ``<name>_<verb>``
    (a hyphen in the verb is an underscore in the name)."""
    return [path(f"{prefix}/{verb}{slash}", view, name=f"{name}_{verb.replace('-', '_')}")
            for verb, view in views.items()]
