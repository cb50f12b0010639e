"""Catalog: organizations, spaces, memberships, API tokens, catalog products and tags,
and the space/organization browsing views."""
