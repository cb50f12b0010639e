"""Governance: product roles, the access policy, the audit log, and (as they arrive) change
requests, access requests, quality checks, release locking and signing."""
