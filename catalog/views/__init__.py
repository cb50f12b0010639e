"""Browser pages of the catalog, one module a subject: the organization's spaces and a space's
members (``spaces``), the user's API tokens (``tokens``), data products (``products``), the
lineage of any product (``lineage``), and a record's collaboration: product roles, comments and
attachments (``collaboration``). A domain error reaches the person through ``common.messages``."""
