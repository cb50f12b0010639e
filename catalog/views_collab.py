"""Kept only for ``catalog.api.collab_views``, which imports ``attachment_response`` from here;
the collaboration pages are in ``catalog.views.collaboration``. Remove once the API imports it
from there."""

from catalog.views.collaboration import attachment_response

__all__ = ["attachment_response"]
