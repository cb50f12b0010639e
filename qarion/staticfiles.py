"""The static files storage of a deployment with DEBUG off: whitenoise's compressed manifest
storage, which also rewrites the relative imports between our ES modules (the uploader page
and its protocol) to the hashed names, so a changed module is never served from a cache."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
