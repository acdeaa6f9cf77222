"""Settings for the PESO Registry, read from the environment.

Every value has a safe development default except where production needs an explicit
choice. Bad values fail loudly at start-up rather than silently falling back.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


DEBUG = env_bool("DEBUG", True)
HTTPS = env_bool("HTTPS", False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
if not DEBUG and len(SECRET_KEY) < 50:
    # Sessions, CSRF tokens and password resets are signed with it: a short key is guessable.
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "accounts",
    "events",
    "spokes",
    "products",
    "lifecycle",
    "hub",
    "funding",
    "planning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "peso_registry.middleware.SecurityHeadersMiddleware",
    # ETag / Last-Modified / 304 and the shared cache of hot anonymous responses.
    "peso_registry.middleware.HttpCachingMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "peso_registry.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "peso_registry.wsgi.application"

# --- Database -------------------------------------------------------------------------
# DATABASE_URL: postgres://user:pass@host:port/name, postgres:///name?host=/socket/dir,
# or sqlite:///path. Absent: a SQLite file in the project.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real deployment target: writers queue behind a busy timeout instead of
    # failing with "database is locked", and write transactions take the lock up front
    # (IMMEDIATE) so that a read-then-write transaction cannot deadlock on upgrade.
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["CONN_MAX_AGE"] = 0
else:
    # Survive a database restart: a dead pooled connection is detected and replaced.
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}

# Read replicas (peso_registry/routers.py): PostgreSQL standbys of DATABASE_URL, as
# comma-separated URLs. Anonymous reads go to one of them; writes, transactions, signed-in
# users and a client's reads for REPLICA_PIN_SECONDS after its own write go to the primary.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
if REPLICA_PIN_SECONDS < 0:
    raise ImproperlyConfigured("REPLICA_PIN_SECONDS must be 0 or more")
REPLICA_DATABASES: list[str] = []
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS", [])):
    try:
        _replica = dj_database_url.parse(_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS: not a database URL: {_url!r}: {exc}"
        ) from None
    if _db["ENGINE"] == "django.db.backends.sqlite3" or _replica["ENGINE"] != _db["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs PostgreSQL, as DATABASE_URL")
    _replica["CONN_HEALTH_CHECKS"] = True
    # A test run never creates a database for a replica: it reads the primary's.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_index}"] = _replica
    REPLICA_DATABASES.append(f"replica_{_index}")
if REPLICA_DATABASES:
    DATABASE_ROUTERS = ["peso_registry.routers.ReplicaRouter"]
    # After authentication: the session and the user are read on the primary first.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "peso_registry.routers.ReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith("redis://") or CACHE_URL.startswith("rediss://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL.startswith("memcached://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": CACHE_URL.removeprefix("memcached://"),
        }
    }
elif CACHE_URL == "db://":
    # A table in the app's own database (created by `migrate`, and by `createcachetable`):
    # every app process counts the same throttle hits with no cache server. It costs a few
    # queries per anonymous API request; Redis is the faster choice for a busy deployment.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "peso_cache",
            # Past MAX_ENTRIES the cache drops expired rows, then a third of the rest: a
            # room large enough that a flood of fresh keys cannot evict live throttle counts
            # (Django's default is 300).
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
elif CACHE_URL == "" or CACHE_URL.startswith("file://"):
    # The default: files in one directory (``CACHE_DIR``, or the path of ``file:///path``).
    # Every app process on the machine reads and writes the same files, so throttles count
    # across gunicorn workers with no cache server and no query on the database. Several
    # machines need redis:// (README).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://")
            or env_str("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            # Room for many clients' throttle counts: past MAX_ENTRIES a third is culled.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
elif CACHE_URL == "locmem://":
    # One process's memory: throttles are per process (a single process, or the tests).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},  # as the other caches, above
        }
    }
elif CACHE_URL.startswith("unix://"):
    # Redis on a Unix socket (unix:///path/redis.sock?db=0), as redis-py reads the URL.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL scheme not supported: {CACHE_URL!r}")

# --- E-mail ---------------------------------------------------------------------------
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}
_TRUE = {"", "1", "true", "yes", "on"}


def parse_email_url(url: str) -> dict:
    """The Django e-mail settings an ``EMAIL_URL`` stands for.

    ``console://`` (the default: messages written to the log), ``locmem://`` (kept in
    memory, for tests), ``dummy://`` (dropped), ``smtp://user:password@host:port`` (port 25
    by default; ``?tls`` for STARTTLS, port 587 by default, ``?ssl`` for implicit TLS, port
    465 by default; ``?timeout=`` seconds) and ``smtps://…`` (as ``smtp://…?ssl``). The user
    and password are percent-decoded (``%40`` for an ``@`` in a user name). Anything else
    raises ``ImproperlyConfigured``.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme not supported: {url!r} "
            "(smtp://, smtps://, console://, locmem://, dummy://)"
        )
    config: dict = {"EMAIL_BACKEND": _EMAIL_BACKENDS[scheme]}
    if scheme not in {"smtp", "smtps"}:
        return config
    options = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - {"tls", "ssl", "timeout"}
    if unknown:
        raise ImproperlyConfigured(f"EMAIL_URL: unknown option(s) {', '.join(sorted(unknown))}")
    for flag in ("tls", "ssl"):
        if flag in options and options[flag].lower() not in _TRUE | {"0", "false", "no", "off"}:
            raise ImproperlyConfigured(f"EMAIL_URL: ?{flag} takes 1/0, not {options[flag]!r}")
    use_ssl = scheme == "smtps" or options.get("ssl", "0").lower() in _TRUE
    use_tls = "tls" in options and options["tls"].lower() in _TRUE
    if use_ssl and use_tls:
        raise ImproperlyConfigured("EMAIL_URL: choose ?tls (STARTTLS) or ?ssl, not both")
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL: an SMTP URL names a host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL: the port is not a number: {url!r}") from None
    config.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or (465 if use_ssl else 587 if use_tls else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=use_tls,
        EMAIL_USE_SSL=use_ssl,
    )
    if "timeout" in options:
        try:
            config["EMAIL_TIMEOUT"] = int(options["timeout"])
        except ValueError:
            raise ImproperlyConfigured("EMAIL_URL: ?timeout= takes whole seconds") from None
    return config


# Notifications (lifecycle/notifications.py) go out through Django's e-mail framework.
_email = parse_email_url(env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PESO Registry <registry@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address the site is reached at, for the links in e-mails (sent outside any request).
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"} or not urlsplit(SITE_URL).hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) URL, not {SITE_URL!r}")

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# Sign-in lands on "My work" unless a safe ?next= names another page of the site.
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "home"
# Failed sign-ins (accounts/signin.py), counted per account and per client address:
# (free failures, failures that lock); past the free ones each failure doubles the wait
# (2 s, 4 s ...), and at the limit the account or address is locked for lockout_seconds.
SIGNIN_THROTTLE = {
    "account": (3, 10),
    "address": (10, 30),
    "lockout_seconds": env_int("SIGNIN_LOCKOUT_SECONDS", 900),
}
# Proxies in front of the app that append to X-Forwarded-For (peso_registry/client.py):
# the client address is read that many entries from the right; 0 ignores the header.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("TRUSTED_PROXIES must be 0 or more")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Dates shown to people are ISO 8601 in every locale (peso_registry/formats/en/formats.py:
# a locale's own formats would otherwise win over DATE_FORMAT below).
FORMAT_MODULE_PATH = ["peso_registry.formats"]
DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests and DEBUG serve straight from the finders; production serves collectstatic output.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- HTTPS (behind a TLS proxy) -------------------------------------------------------
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every response (peso_registry/middleware.py): scripts, styles and images from the app
# only; no inline script, no inline style attribute, no plugin, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- Request bodies ---------------------------------------------------------------------
# A form or JSON body (not an uploaded file) of at most 2.5 MB, read in memory; the API's
# JSON parser applies the same cap. Uploaded files above 2.5 MB go to a temporary file; the
# imports endpoint caps each kind of file (products/imports_api.py MAX_UPLOAD). Only the
# imports endpoint takes files, one at a time.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# --- REST framework -------------------------------------------------------------------
API_ANON_RATE = env_str("API_ANON_RATE", "300/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "peso_registry.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # django-filter's, refusing query parameters a list does not take (400).
    "DEFAULT_FILTER_BACKENDS": ["peso_registry.filters.StrictFilterBackend"],
    # The API speaks JSON (imports take a multipart upload, set on their view): form
    # encodings lose the schema's types and nesting.
    # (peso_registry/parsers.py: DRF's JSONParser with size and nesting caps checked before
    # decoding, so a deeply nested body is a 400, never a RecursionError.)
    "DEFAULT_PARSER_CLASSES": ["peso_registry.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "peso_registry.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "peso_registry.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "peso_registry.renderers.CSVRenderer",
    ],
    # Counted in the default cache, by the client address of peso_registry/client.py.
    "DEFAULT_THROTTLE_CLASSES": ["peso_registry.throttling.AnonRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {"anon": API_ANON_RATE},
    "DEFAULT_SCHEMA_CLASS": "peso_registry.schema.AutoSchema",
    "EXCEPTION_HANDLER": "peso_registry.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PESO Registry API",
    "DESCRIPTION": "Catalog of the DOE scientific-software ecosystem: spokes, products, "
    "policies, compliance and the onramp/offramp lifecycle.\n\n"
    "* **Auth**: a browser session (unsafe methods need the CSRF token) or "
    "`Authorization: Token <key>` or `Authorization: Bearer <key>` (tokens are created "
    "and revoked on the account page, `/account/`); any other `Authorization` header is a "
    "401. Reads are open to everyone; anonymous clients are throttled.\n"
    "* **Query parameters**: a list takes its filters, `page`, `page_size` and `format`; "
    "any other is a 400 naming the valid ones.\n"
    "* **Pagination**: `page` and `page_size` (default 50, at most 500: a larger value is "
    "capped to 500; not a positive integer: 400; a page past the end: 404); responses "
    "carry `count`, `next`, `previous`, `results`.\n"
    "* **Formats**: JSON by default; `?format=csv` on list endpoints: a header row, the "
    "same for every page of an endpoint (an empty one too), and one row per item; a nested "
    "object's fields are dotted columns (`provenance.sponsorship`), lists are joined with "
    "`;`, a product's `compliance` is one column of `set:status` pairs joined with `;` "
    "(`e4s:compliant;xsdk:partial`). Request bodies are JSON (imports: a multipart "
    "upload).\n"
    "* **Conditional requests**: detail responses carry an `ETag`; send it back as "
    "`If-Match` on PATCH to get 412 instead of overwriting someone else's change.\n"
    '* **Errors**: JSON, `{"detail": ...}` or field-level `{"field": [messages]}` '
    "(400).",
    "VERSION": "1.0.0",
    # One tag per resource (peso_registry.schema.AutoSchema.get_tags), listed in this order.
    "TAGS": [
        {"name": "assessments", "description": "A product's status against each policy."},
        {"name": "change-requests", "description": "Changes to a plan during its year."},
        {"name": "communities", "description": "The hub, its spokes, communities of practice."},
        {"name": "decisions", "description": "Governance decisions and their votes."},
        {"name": "events", "description": "The append-only log of everything that happened."},
        {"name": "funding-calls", "description": "Funding calls, their criteria and ranking."},
        {"name": "funding-decisions", "description": "Funding decisions within an envelope."},
        {"name": "imports", "description": "Catalog files, Spack recipes, xSDK files."},
        {"name": "interoperability", "description": "Products confirmed to work together."},
        {"name": "meetings", "description": "The annual all-teams meeting and other meetings."},
        {"name": "milestones", "description": "Plan milestones and their progress updates."},
        {"name": "panel-members", "description": "Funding panels and declared conflicts."},
        {"name": "plans", "description": "Each community's plan for a year and its assessment."},
        {"name": "policy-sets", "description": "Policy sets and their effective policies."},
        {"name": "products", "description": "Products, their compliance and their users."},
        {"name": "proposals", "description": "Proposals to funding calls and comments."},
        {"name": "releases", "description": "E4S releases and the spokes' Spack bundles."},
        {"name": "requests", "description": "Onramp and offramp requests."},
        {"name": "reviews", "description": "The funding panel's scores per criterion."},
        {"name": "stakeholders", "description": "Organisations recorded as using products."},
        {"name": "waivers", "description": "Policies waived for a product, until a date."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids name the resource and the action (`products_list`), not the version:
    # they become a generated client's function names.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Enum components are named after their model (`VoteChoiceEnum`, not `ChoiceEnum`), so
    # a generated client's types say what they hold.
    "ENUM_NAME_OVERRIDES": {
        "CommunityStatusEnum": "spokes.models.Community.Status",
        "CommunityKindEnum": "spokes.models.Community.Kind",
        "AssessmentStatusEnum": "products.models.Assessment.Status",
        "RequestKindEnum": "lifecycle.models.LifecycleRequest.Kind",
        "StakeholderKindEnum": "products.models.Stakeholder.Kind",
        "ReleaseKindEnum": "hub.models.Release.Kind",
        "DistributionEnum": "products.models.Product.Distribution",
        "DeliveryCheckEnum": "hub.delivery.CHECK_STATES",
        "DeliveryCheckNameEnum": "hub.delivery.CHECKS",
        "VoteChoiceEnum": "lifecycle.models.Vote.Choice",
        "OfframpReasonEnum": "lifecycle.models.LifecycleRequest.Reason",
        "PolicyLevelEnum": "spokes.models.Policy.Level",
        "AssessmentSourceEnum": "products.models.Assessment.Source",
        "CommunityOriginEnum": "spokes.models.Community.Origin",
        "SeatRepresentsEnum": "spokes.models.Seat.Represents",
        "ProductSponsorshipEnum": "products.models.Product.Sponsorship",
        "ComplianceStatusEnum": ["compliant", "partial", "noncompliant", "unknown"],
        "FundingCallStateEnum": "funding.models.FundingCall.State",
        "ProposalStateEnum": "funding.models.Proposal.State",
        "BudgetCategoryEnum": "funding.models.BudgetLine.Category",
        "FundingOutcomeEnum": "funding.models.FundingDecision.Outcome",
        "PolicyComplianceStatusEnum": ["full", "partial", "none", "na", "unknown"],
        "MilestoneStatusEnum": "planning.models.Status",
        "ProgressStatusEnum": ["planned", "on_track", "at_risk", "done"],
        "ChangeRequestKindEnum": "planning.models.ChangeRequest.Kind",
        "ChangeRequestStateEnum": "planning.models.ChangeRequest.State",
        "MilestoneOutcomeEnum": "planning.models.MilestoneOutcome.Outcome",
        "MeetingKindEnum": "planning.models.Meeting.Kind",
        "MeetingFormatEnum": "planning.models.Meeting.Format",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # One `FieldErrors` and one `FormatEnum` component, not a copy per operation.
        "peso_registry.schema.share_components",
        # OpenAPI links from what creates or changes an object to what reads and acts on it.
        "peso_registry.schema.add_links",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
