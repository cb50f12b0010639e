"""Browser pages of the governance workflows, one module a subject: the audit log
(``audit``), change requests (``change_requests``), access requests (``access_requests``),
the inbox of both (``inbox``), quality checks (``quality``), a space's change policy
(``policy``) and a version's page with its provenance (``provenance``). A domain error reaches
the person through ``common.messages``."""
