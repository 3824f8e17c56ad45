"""Vigil settings. Configuration comes from the environment only (see config/env.py and README)."""
from pathlib import Path

from .env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VIGIL_VAR_DIR") or BASE_DIR / "var")

SECRET_KEY = secret_key(VAR_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people and providers reach Vigil at: integration URLs, ack links and Twilio
# signatures are built from it.
PUBLIC_URL = (env_str("PUBLIC_URL") or f"http://{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "config",  # management commands: serve
    "oncall",
    "incidents",
    "notifications",
]

MIDDLEWARE = [
    # First, so that every response gets the policy: static files, redirects and errors too.
    "config.security_headers.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times in the viewer's zone: their profile's, else their browser's (oncall/viewer_zone.py).
    "oncall.viewer_zone.ViewerTimeZoneMiddleware",
    # request.htmx: the pages that refresh themselves poll with htmx (incidents/static/vendor/).
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication: audit entries name the person and the way in (web, API, admin).
    "oncall.audit.recording.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout seen during the request into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

_database_url = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(_database_url, var_dir=VAR_DIR)
    if _database_url
    else sqlite_database(VAR_DIR / "vigil.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served from the app directories too, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
X_FRAME_OPTIONS = "DENY"
# Django's default, stated because pages rely on it: no URL of ours reaches another site in a
# Referer. Pages with a credential in their URL (ack links) send no-referrer instead.
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS (or with secure cookies, which only work over it) every request must come over HTTPS
# and browsers are told to never try plain HTTP again. Load balancers probe /healthz over plain
# HTTP and Prometheus scrapes each machine directly, so those two are not redirected.
_https_only = BEHIND_TLS_PROXY or SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _https_only
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 31536000 if _https_only else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https_only
# Asking for the browsers' preload list binds the whole domain to HTTPS for months, and anyone can
# submit a domain whose header asks for it: the operator's call, off unless HSTS_PRELOAD=1.
SECURE_HSTS_PRELOAD = _https_only and env_bool("HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Login throttling (django-axes; the rules are in config/login_throttle.py) -----------------
# The axes backend only refuses locked-out clients; ModelBackend checks the password. Anything
# that calls authenticate() must pass the request, or axes refuses it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = "config.login_throttle.cool_off"
# Each attempt row keeps its own expiry, so one client's short lockout never clears another's long one.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "config.login_throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# A success must not reset the address's count: else guessing at alice between logins to one's
# own account would never lock.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ADMIN = True
# Lockouts are logged with the client's address; the username stays masked (people type their
# password into it), and axes always masks the password.
AXES_SENSITIVE_PARAMETERS = ["username"]

# --- Single sign-on (OpenID Connect; config/oidc.py reads OIDC_* and VIGIL_PASSWORD_LOGIN) -----
from .oidc import sso_settings  # noqa: E402

globals().update(sso_settings(AUTHENTICATION_BACKENDS))

# --- Email ------------------------------------------------------------------------------------
# EMAIL_URL=smtp://user:password@host:587?tls=1 turns the email channel on; without it, mail
# goes to the console channel's outbox.
_email_url = env_str("EMAIL_URL")
EMAIL_ENABLED = bool(_email_url)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Vigil <vigil@localhost>")
if _email_url:
    from .env import email_from_url

    globals().update(email_from_url(_email_url))

# --- Twilio and Slack -------------------------------------------------------------------------
# SMS and voice are on when all three TWILIO_* credentials are set, Slack when both SLACK_*
# secrets are; otherwise pages go to the console channel. The *_API_BASE_URL settings point the
# real SDKs at another host (a Twilio-compatible provider, or the local fakes in tests/fakes/).
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID") or ""
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN") or ""
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER") or ""
TWILIO_API_BASE_URL = (env_str("TWILIO_API_BASE_URL") or "https://api.twilio.com").rstrip("/")
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN") or ""
SLACK_SIGNING_SECRET = env_str("SLACK_SIGNING_SECRET") or ""
SLACK_API_BASE_URL = env_str("SLACK_API_BASE_URL") or "https://slack.com/api/"

# Half a set of credentials is a typo, not a choice: without this check the channel would quietly
# fall back to the console and nobody's phone would ring.
from .env import ConfigError  # noqa: E402

for _group in ({"TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": TWILIO_FROM_NUMBER},
               {"SLACK_BOT_TOKEN": SLACK_BOT_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET}):
    _missing = [name for name, value in _group.items() if not value]
    if 0 < len(_missing) < len(_group):
        raise ConfigError(f"{', '.join(_missing)} must be set too: the channel needs all of {', '.join(_group)}")
for _name, _url in (("TWILIO_API_BASE_URL", TWILIO_API_BASE_URL), ("SLACK_API_BASE_URL", SLACK_API_BASE_URL)):
    if not _url.startswith(("https://", "http://")):
        raise ConfigError(f"{_name}={_url!r} is not an http(s) URL")
# --- end Twilio and Slack ---------------------------------------------------------------------

# --- Paging -----------------------------------------------------------------------------------
# Sends per second allowed per provider across all workers (Twilio long codes take ~1 SMS/s).
PROVIDER_SENDS_PER_SECOND = {
    "sms": env_int("SMS_SENDS_PER_SECOND", 10, minimum=1),
    "voice": env_int("VOICE_CALLS_PER_SECOND", 5, minimum=1),
}

# --- Metrics ----------------------------------------------------------------------------------
# `GET /metrics` asks for `Authorization: Bearer <METRICS_TOKEN>`; without a token only loopback
# clients may scrape (the demo). config/metrics.py says why counters use multiprocess mode.
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""
# Off (METRICS_ENABLED=0): counters and histograms count nothing and /metrics answers 404, for
# this process and every process it starts; bench/page_latency.py --metrics-cost compares the two.
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)

# --- Outgoing webhooks --------------------------------------------------------------------------
# Private, loopback and link-local destinations are refused (incidents/outgoing/destinations.py);
# tests and a lab where receivers live on the private network turn this on.
OUTGOING_WEBHOOKS_ALLOW_PRIVATE = env_bool("OUTGOING_WEBHOOKS_ALLOW_PRIVATE", False)

# --- Intake -----------------------------------------------------------------------------------
INTAKE_MAX_BODY_BYTES = 512 * 1024
INTAKE_RATE_LIMIT_PER_MINUTE = env_int("INTAKE_RATE_LIMIT_PER_MINUTE", 6000, minimum=1)
# The domain whose mail reaches `manage.py receive_email` (or a Mailgun/SendGrid route): an email
# integration's address is <token>@VIGIL_EMAIL_DOMAIN. Unset, only its HTTP URL is shown.
VIGIL_EMAIL_DOMAIN = (env_str("VIGIL_EMAIL_DOMAIN") or "").strip().lstrip("@").lower()
_cache_url = env_str("CACHE_URL")
# Short socket timeouts: rate limits fail open when the cache is down (incidents/ratelimit.py),
# and a cache host that drops packets must cost a request half a second, not a minute.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    # Producer and consumer must read and write the same folder to meet.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "celery" / "control"),
        # kombu's virtual transports sleep this long whenever they find the folder empty (1 s by
        # default), and a page takes two hops (escalate, then deliver): 2 s of every page was
        # waiting. A listdir ten times a second costs an idle worker next to nothing.
        "polling_interval": 0.1,
    }
    # The web server and management commands enqueue too, not only `serve`: the folders must exist.
    for _folder in (_queue_dir, _processed_dir, VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # redis-py waits forever by default: a Redis that stopped answering would hang every publish.
    # The socket timeout must stay above the worker's 1 s BRPOP poll.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3}
# Requests publish after their commit (config.celery.send_after_commit) and the sweep re-sends
# whatever was lost, so a broker outage should cost a request about a second, not the default
# three retries per message: one reconnect (a broker restart leaves pooled connections stale).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeats": {"task": "incidents.heartbeats_check", "schedule": 15.0},
    "paging-sweep": {"task": "notifications.sweep", "schedule": 5.0},
    "ack-timeouts": {"task": "incidents.ack_timeouts_expire", "schedule": 30.0},
    "webhook-receipts-prune": {"task": "notifications.prune_webhook_receipts", "schedule": 3600.0},
    "outgoing-webhooks-sweep": {"task": "incidents.webhooks_sweep", "schedule": 10.0},
    "status-updates-due": {"task": "notifications.status_updates_due", "schedule": 60.0},
    "handoff-reports": {"task": "notifications.handoff_reports_due", "schedule": 60.0},
    "postmortem-follow-ups-due": {"task": "notifications.postmortem_follow_ups_due", "schedule": 600.0},
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oncall.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_kit.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": "Incidents, services, integrations, teams and on-call data. Authenticate with "
    "`Authorization: Bearer <token>`; create a token in your profile, in the admin or with "
    "`manage.py api_token`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Swagger UI otherwise sends the schema to validator.swagger.io to draw a badge: the docs must
    # work offline and not leak the schema.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Several models have a `kind`; without these the names get hash suffixes (and a warning).
        "ContactMethodKindEnum": "oncall.models.ContactMethod.Kind",
        "RestrictionKindEnum": "oncall.models.Restriction.Kind",
        "StepTargetKindEnum": "oncall.models.StepTarget.Kind",
        "KindEnum": "incidents.models.Integration.Kind",  # the name it had before the others came
        "RoleEnum": "oncall.models.Membership.Role",
        "IncidentFindingKindEnum": "incidents.models.IncidentFinding.Kind",
        "IncidentRoleEnum": "incidents.models.IncidentRole.Role",
        # `via` on the timeline, status updates (the same choices) and the audit log (its own).
        "TimelineEventViaEnum": "incidents.models.TimelineEvent.Via",
        "AuditEntryViaEnum": "oncall.audit.models.AuditEntry.Via",
        # A postmortem has a `status` of its own besides the incident's.
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "PostmortemStatusEnum": "incidents.models.Postmortem.Status",
        # So do its action items, and a priority.
        "ActionItemStatusEnum": "incidents.models.ActionItem.Status",
        "ActionItemPriorityEnum": "incidents.models.ActionItem.Priority",
    },
}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact": {"()": "config.redaction.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
