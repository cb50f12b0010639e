"""Shared bases that every app builds on and that import no app: domain errors and their
mapping to HTTP (API) and to pages (UI), the request context read by the audit recorder,
and the API's base view, serializer pieces, pagination, parsers and OpenAPI pieces.

Each app's API is one module per subject under ``<app>/api/`` holding that subject's
serializers and views, and one ``<app>/api/urls.py`` with the app's one namespace
(``<app>-api``)."""
