"""Shared bases that every app builds on and that import no app: domain errors and their
mapping to HTTP (API) and to pages (UI), the request context read by the audit recorder,
and the API's pagination, parsers and OpenAPI pieces."""
