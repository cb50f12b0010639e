"""Browser pages of the model repository, one module a subject: the record lists and the
record's create and edit forms (``records``), the record page and its tabs (``tabs``), the
pages that change versions (``versions``) and artifacts (``artifacts``), training runs
(``training``) and the comparison of two versions (``compare``). What they share is in
``base``. Reads go through the selectors (restricted by the access policy), writes through the
services; a domain error reaches the person through ``common.messages``."""
