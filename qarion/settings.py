"""Settings for every shape of the deployment (embedded, one host, scale-out).

Every knob is read from the environment (see .env.example); the defaults are the embedded
shape: SQLite and files under one data directory, Celery tasks run in-process.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from qarion.env import env_bool, env_int, env_list, env_path, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("QARION_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qarion.sqlite3'}")
if not DATABASE_URL.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL.")
EMBEDDED = DATABASE_URL.startswith("sqlite:")

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_secret("SECRET_KEY")
    if key:
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DATABASE_URL is not SQLite.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "qarion.handlers.csrf_failure"
SECURE_COOKIES = env_bool("QARION_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("QARION_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "catalog",
    "modelrepo",
    "uploads",
    "governance",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qarion.middleware.RequestContextMiddleware",
    "common.messages.DomainErrorPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qarion.urls"
WSGI_APPLICATION = "qarion.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qarion.context_processors.navigation",
                "qarion.context_processors.inbox",
            ],
        },
    },
]

# Connections are kept between requests on SQLite too: when the last connection to a WAL
# database closes, SQLite checkpoints (an fsync of the database file) and deletes the WAL, and
# every request of every gunicorn worker would then reopen, re-read the schema and wait behind
# that fsync (measured: the upload `complete` call took up to 0.7 s instead of 40 ms while a
# large file was being written back).
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600 if EMBEDDED else 60, minimum=0),
                            conn_health_checks=True)
if EMBEDDED:
    # Parallel chunk PUTs and concurrent creates: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN so a transaction never fails half-way on upgrade.
    # The WAL file is reused between checkpoints; journal_size_limit keeps it from staying large.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                         "PRAGMA journal_size_limit=67108864;"),
    }
    # Tests use a file, not shared-cache memory: shared-cache locks ignore the busy timeout,
    # and the concurrency tests need it. One file per process, so parallel runs do not meet.
    _db["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("QARION_STATIC_ROOT", BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or not env_bool("QARION_STATIC_MANIFEST", not EMBEDDED)
        else "qarion.staticfiles.ManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = EMBEDDED or DEBUG

# Artifact storage: the local filesystem under the data directory by default, or an
# S3-compatible bucket. With local storage, chunks are staged on disk and a completed upload
# moves into place (a rename, or a streamed copy when staging is on another filesystem). With
# a bucket, chunks stream straight into a multipart upload: web nodes keep no upload state.
QARION_STORAGE = env_str("QARION_STORAGE", "local")
if QARION_STORAGE == "local":
    ARTIFACT_ROOT = env_path("QARION_ARTIFACT_ROOT", DATA_DIR / "artifacts")
    STORAGES["artifacts"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ARTIFACT_ROOT), "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
    }
elif QARION_STORAGE == "s3":
    STORAGES["artifacts"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("QARION_S3_BUCKET"),
            "endpoint_url": env_str("QARION_S3_ENDPOINT_URL"),
            "region_name": env_str("QARION_S3_REGION"),
            "access_key": env_secret("QARION_S3_ACCESS_KEY_ID"),
            "secret_key": env_secret("QARION_S3_SECRET_ACCESS_KEY"),
            "querystring_expire": env_int("QARION_DOWNLOAD_URL_TTL", 300, minimum=10, maximum=7 * 86400),
            "file_overwrite": False,
            "default_acl": None,
            # Presigned URLs are signed with SigV4 unless told otherwise; path-style addressing
            # suits S3-compatible servers (MinIO, Ceph) reached by a host name without buckets.
            "signature_version": env_str("QARION_S3_SIGNATURE_VERSION", "s3v4"),
            "addressing_style": env_str("QARION_S3_ADDRESSING_STYLE", "auto"),
        },
    }
    if not STORAGES["artifacts"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("QARION_STORAGE=s3 needs QARION_S3_BUCKET.")
    if STORAGES["artifacts"]["OPTIONS"]["addressing_style"] not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured("QARION_S3_ADDRESSING_STYLE must be auto, path or virtual.")
    if STORAGES["artifacts"]["OPTIONS"]["signature_version"] not in ("s3v4", "s3"):
        raise ImproperlyConfigured("QARION_S3_SIGNATURE_VERSION must be s3v4 (SigV4) or s3 (the legacy SigV2).")
else:
    raise ImproperlyConfigured("QARION_STORAGE must be local or s3.")

_MiB = 1024 * 1024
_GiB = 1024 * _MiB
QARION_UPLOAD_MAX_SIZE = env_int("QARION_UPLOAD_MAX_SIZE", 50 * _GiB, minimum=1)
QARION_UPLOAD_CHUNK_SIZE = env_int("QARION_UPLOAD_CHUNK_SIZE", 16 * _MiB, minimum=_MiB, maximum=_GiB)
QARION_UPLOAD_SESSION_TTL = env_int("QARION_UPLOAD_SESSION_TTL", 86400, minimum=60)
QARION_UPLOAD_STAGING_DIR = env_path("QARION_UPLOAD_STAGING_DIR", DATA_DIR / "staging")
# With object storage, clients that ask for it may send upload parts straight to the bucket
# through presigned part URLs (API.md, "Direct-to-bucket uploads"); the bucket needs a CORS
# rule for browsers (README).
QARION_UPLOAD_DIRECT = env_bool("QARION_UPLOAD_DIRECT", False)
# How long an assembly may hold a session before another worker may take it over; the
# worker's heartbeat renews the lease every third of it, so only a dead worker lets it run out,
# and its assembly is taken over within about this time.
QARION_ASSEMBLY_LEASE_SECONDS = env_int("QARION_ASSEMBLY_LEASE_SECONDS", 30, minimum=5)
# In the embedded shape, uploads up to this size are assembled inside the complete call;
# larger ones in a background thread so the request does not outlive the server's timeout.
QARION_INLINE_ASSEMBLY_MAX_SIZE = env_int("QARION_INLINE_ASSEMBLY_MAX_SIZE", 256 * _MiB, minimum=0)
QARION_ARTIFACT_RETENTION_DAYS = env_int("QARION_ARTIFACT_RETENTION_DAYS", 30, minimum=0)
# Largest file that may be attached to a product (Governance tab, attachments API), in bytes.
QARION_ATTACHMENT_MAX_SIZE = env_int("QARION_ATTACHMENT_MAX_SIZE", 25 * _MiB, minimum=1)

# Release signing (ECDSA P-256, PEM). QARION_SIGNING_KEY holds the private key itself (or
# QARION_SIGNING_KEY_FILE names a secret file holding it); without either, the key lives at
# QARION_SIGNING_KEY_PATH and is generated there (mode 0600) the first time a release is signed.
QARION_SIGNING_KEY = env_secret("QARION_SIGNING_KEY")
QARION_SIGNING_KEY_PATH = env_path("QARION_SIGNING_KEY_PATH", DATA_DIR / "signing-key.pem")
# Public keys of earlier signing keys (one PEM file, several keys), so releases signed
# before a key change stay verifiable.
QARION_SIGNING_TRUSTED_KEYS_FILE = env_path("QARION_SIGNING_TRUSTED_KEYS_FILE", DATA_DIR / "signing-trusted-keys.pem")
if QARION_STORAGE == "s3" and not QARION_SIGNING_KEY and "QARION_SIGNING_KEY_PATH" not in os.environ:
    # A key generated into each node's own data directory would sign releases that the other
    # nodes reject: object storage means the nodes share no disk.
    raise ImproperlyConfigured(
        "With QARION_STORAGE=s3 the web nodes and workers share no disk, so they must share the release signing "
        "key: set QARION_SIGNING_KEY_FILE (or QARION_SIGNING_KEY) to the same ECDSA P-256 private key everywhere "
        "(the README's production steps show how to make one).")
QARION_SCRUB_BATCH_SIZE = env_int("QARION_SCRUB_BATCH_SIZE", 50, minimum=1)
QARION_SCRUB_INTERVAL = env_int("QARION_SCRUB_INTERVAL", 3600, minimum=60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalog.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["qarion.api.permissions.IsAuthenticatedWithTokenScope"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.PageSizePagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.QarionAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "common.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qarion Model Repository API",
    "DESCRIPTION": "Governed registry for machine-learning models and AI systems.",
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1\.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "common.api.schema.document_validation_errors"],
    "ENUM_NAME_OVERRIDES": {
        "VersionKindEnum": "modelrepo.choices.VersionKind",
        "VersionStatusEnum": "modelrepo.choices.VersionStatus",
        "ArtifactKindEnum": "modelrepo.choices.ArtifactKind",
        "UploadSessionStatusEnum": "uploads.choices.SessionStatus",
        "ApiTokenStatusEnum": ["active", "revoked", "expired"],
        "QualityStatusEnum": "catalog.models.QualityStatus",
        "SpaceRoleEnum": "catalog.choices.SpaceRole",
        "ProductRoleEnum": "catalog.choices.ProductRoleName",
    },
}

# Celery: no broker means the embedded shape, where tasks run in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = env_int("QARION_TASK_TIME_LIMIT", 3600, minimum=10)
CELERY_IMPORTS = ["qarion.tasks"]  # not an installed app, so autodiscovery would miss it
CELERY_TASK_DEFAULT_QUEUE = env_str("QARION_TASK_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    "expire-upload-sessions": {"task": "uploads.tasks.expire_sessions", "schedule": 300.0},
    "recover-assemblies": {
        "task": "uploads.tasks.recover_assemblies",
        "schedule": float(env_int("QARION_RECOVERY_INTERVAL", 60, minimum=1)),
    },
    "purge-deleted-artifacts": {"task": "modelrepo.tasks.purge_deleted_artifacts", "schedule": 3600.0},
    "scrub-artifacts": {"task": "modelrepo.tasks.scrub_artifacts", "schedule": float(QARION_SCRUB_INTERVAL)},
    "run-quality-checks": {"task": "governance.tasks.run_quality_checks", "schedule": 3600.0},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qarion@localhost")

QARION_API_TOKEN_PREFIX = "qrn_"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
