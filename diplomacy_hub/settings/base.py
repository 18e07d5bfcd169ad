"""Settings shared by every environment, read from the environment with django-environ.

Each environment module (local, test, production) imports these and changes only what
differs. Every setting a deployment may change is listed in README.md with its default.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "security.apps.VerifiedAdminConfig",  # django.contrib.admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served by the app, no CDN
    "embassies",
    "channels",
    "globaltime",
    "posts",
    "conversations",
    "demo",
    "analytics",
    "api",
    "audit",
    "mailroom",
    "security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "diplomacy_hub.errors.AppErrorPagesMiddleware",  # our 404 page even with DEBUG on
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "security.middleware.SessionTimeoutMiddleware",
    "security.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "diplomacy_hub.urls"
WSGI_APPLICATION = "diplomacy_hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diplomacy_hub.context_processors.roles",
                "security.context_processors.menu",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# The embedded default is one SQLite file. WAL lets web, worker and beat read while one of
# them writes; IMMEDIATE transactions and a busy timeout make writers queue instead of
# failing with "database is locked".
SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'diplomacy_hub.sqlite3'}"
DATABASES = {"default": env.db("DATABASE_URL", default=SQLITE_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "posts:dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages of the ministry's website. Arabic is read right to left (base.html sets dir).
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["diplomacy_hub.formats"]  # one date format per language
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # storage and logs; people see the mission's zone and headquarters' zone
HEADQUARTERS_TIME_ZONE = env("HEADQUARTERS_TIME_ZONE", default="Europe/Paris")

# --- Static and media files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"  # never served directly: attachments go through a permission-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Social networks ----------------------------------------------------------------------
# The key ring that seals social accounts' credentials: "<id>:<base64 of 32 bytes>", newest
# first, comma separated. Never derived from SECRET_KEY. `make run` writes a development
# ring to .env on first start; production must set its own (see README).
CREDENTIALS_KEYS = env("CREDENTIALS_KEYS", default="")
# Where sandbox accounts' SDK traffic goes (the built-in emulator of the four networks).
SANDBOX_URL = env("SANDBOX_URL", default="http://127.0.0.1:8100")
SOCIAL_APPS = {
    "twitter": {
        "client_id": env("X_CLIENT_ID", default="sandbox-x-client"),
        "client_secret": env("X_CLIENT_SECRET", default="sandbox-x-secret"),
    },
    "facebook": {
        "client_id": env("FACEBOOK_APP_ID", default="sandbox-facebook-app"),
        "client_secret": env("FACEBOOK_APP_SECRET", default="sandbox-facebook-secret"),
    },
    "youtube": {
        "client_id": env("GOOGLE_CLIENT_ID", default="sandbox-google-client"),
        "client_secret": env("GOOGLE_CLIENT_SECRET", default="sandbox-google-secret"),
    },
    "flickr": {
        "client_id": env("FLICKR_API_KEY", default="sandbox-flickr-key"),
        "client_secret": env("FLICKR_API_SECRET", default="sandbox-flickr-secret"),
    },
}
FACEBOOK_GRAPH_VERSION = env("FACEBOOK_GRAPH_VERSION", default="v24.0")
# Seconds: connecting to a network, and waiting for its answer.
NETWORK_CONNECT_TIMEOUT = env.float("NETWORK_CONNECT_TIMEOUT", default=5.0)
NETWORK_READ_TIMEOUT = env.float("NETWORK_READ_TIMEOUT", default=30.0)
# Machine translation: a LibreTranslate-style HTTP API (its base URL: /translate and
# /languages below it). Empty: none, and nothing offers to translate. The name labels every
# translation it makes; the timeout (seconds) keeps a slow provider from holding a page.
TRANSLATION_URL = env("TRANSLATION_URL", default="")
TRANSLATION_API_KEY = env("TRANSLATION_API_KEY", default="")
TRANSLATION_PROVIDER_NAME = env("TRANSLATION_PROVIDER_NAME", default="")
TRANSLATION_TIMEOUT = env.float("TRANSLATION_TIMEOUT", default=5.0)

# --- Security: second factor, login throttling, session time-outs, CSP, audit ----------------
# docs/security.md says what each defence is for and which test proves it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username+address first
    "django.contrib.auth.backends.ModelBackend",
]
# Two-factor (TOTP, django-otp) for these roles (and superusers); officers use a password only.
TWO_FACTOR_REQUIRED_ROLES = ["press_office", "crisis_unit", "administrator", "human_rights_officer"]
# Without an authenticator app, such a user enrols one only under an administrator's
# enrolment grant (security/two_factor.py::may_enrol).
OTP_TOTP_ISSUER = "Diplomacy Hub"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes, wait 2**(n-1) seconds
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's key or QR code
# django-axes: 5 wrong passwords for one username from one address lock that pair out for
# 15 minutes; a success clears the count. Every failure and lockout is in the audit log.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "security.views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit log (audit.AuditEvent)
# Reverse proxies in front of the web processes, whose X-Forwarded-For entry is believed for
# the client's address (axes and the audit log, audit.context.client_address); 0: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = 0
AXES_CLIENT_IP_CALLABLE = "audit.context.client_address"
# A session ends after this long without activity (seconds; htmx polling is not activity),
# and SESSION_COOKIE_AGE after its login whatever its activity (security.middleware).
SESSION_IDLE_TIMEOUT = 30 * 60
# How long an invitation's link stays valid (hours); a resend starts it again.
INVITATION_LIFETIME_HOURS = env.int("INVITATION_LIFETIME_HOURS", default=72)
# Error reports (the technical 500 page, the report mailed to admins) also hide credentials
# in query strings: an OAuth callback's code and state (security/reporting.py).
DEFAULT_EXCEPTION_REPORTER = "security.reporting.SecretsExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "security.reporting.SecretsReporterFilter"
# Content Security Policy (django-csp 4): no inline script or style, no framing.
OAUTH_CONSENT_ORIGINS = [
    "https://x.com",
    "https://twitter.com",
    "https://www.facebook.com",
    "https://accounts.google.com",
    "https://www.flickr.com",
    "{0.scheme}://{0.netloc}".format(urlsplit(SANDBOX_URL)),
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # A form may also lead to the networks' consent pages: connecting an account is a
        # POST answered by a redirect there, which form-action governs too.
        "form-action": ["'self'", *OAUTH_CONSENT_ORIGINS],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Diplomacy Hub <no-reply@diplomacy-hub.invalid>")

# --- Celery -----------------------------------------------------------------------------
# The database holds the truth; the broker only carries delivery ids. Hence: no result
# backend (a hung Redis must never block a web request), late acks with a requeue when a
# worker dies, one message prefetched at a time, and short broker timeouts.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The transport expects its folders to exist, in every process that sends or receives.
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        # Seconds between looks at the folder: the first post must leave within a second.
        "polling_interval": 0.2,
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above twice the hard time limit, so a running task is never handed out again.
        "visibility_timeout": 600,
        "socket_timeout": 3,
        "socket_connect_timeout": 3,
        "max_retries": 2,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 270
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_DEFAULT_QUEUE = "publish"
# Each queue has its own direct exchange and routing key. Declared as bare Queue("name"),
# all three would be bound to the default exchange with the default key, and a task sent
# to one queue would land in all three (the crisis worker would take routine work).
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("crisis", "publish", "maintenance", "listen", "analytics")
)
CELERY_TASK_DEFAULT_EXCHANGE = "publish"
CELERY_TASK_DEFAULT_ROUTING_KEY = "publish"
# Where each task goes unless its sender names a queue (publishing and retraction go to the
# crisis or publish lane by the message's priority; the dispatcher's tick to both). Tasks
# never name their queue themselves (diplomacy_hub.tasks.task).
CELERY_TASK_ROUTES = {
    "channels.*": {"queue": "maintenance"},
    "posts.sweep": {"queue": "maintenance"},
    "posts.review_clock": {"queue": "maintenance"},
    "posts.occasion_reminders": {"queue": "maintenance"},
    "mail.*": {"queue": "maintenance"},
    "posts.reconcile_delivery": {"queue": "maintenance"},
    # Replies go out in the publishing lane (a reply is a post of the mission's); the
    # rest of the desk, hearing the public, has its own: a slow network never delays them.
    "conversations.send_reply": {"queue": "publish"},
    "conversations.reconcile_reply": {"queue": "maintenance"},
    "conversations.sweep_replies": {"queue": "maintenance"},
    "conversations.moderate_item": {"queue": "publish"},
    # Hearing the public has its own lane: a slow network never delays publishing.
    "conversations.*": {"queue": "listen"},
    # Reading what publishing achieved: its own lane, never ahead of publishing or listening.
    "analytics.*": {"queue": "analytics"},
    "security.*": {"queue": "maintenance"},  # an invitation's mail
    "api.*": {"queue": "maintenance"},  # webhooks to the ministry's other systems
}
CELERY_TIMEZONE = "UTC"
# Tasks outside the apps' tasks.py modules (which autodiscovery finds): the mail task.
CELERY_IMPORTS = ("diplomacy_hub.mail",)
# --- Publishing engine (posts/services/dispatch.py, delivery.py, sweeper.py, health.py) ---
# Seconds unless said otherwise. Tests and drills shorten them through the environment.
# Workers run the threads pool (the work waits on networks, not on the CPU); see the Procfile:
#   celery -A diplomacy_hub worker -Q crisis -P threads -c 4           (two processes)
#   celery -A diplomacy_hub worker -Q publish,maintenance -P threads -c 16
# A Celery thread claims a batch (PUBLISH_BATCH_SIZE) and hands its calls to the process's
# call threads (PUBLISH_CALL_THREADS): 4 x 16 claims keep a crisis process's 64 call threads
# busy, 128 calls in flight on two processes.
# Beat's tick of the dispatcher: a post scheduled for 10:00 leaves within this (plus one
# publish). A tick with nothing due is one indexed read and one heartbeat write.
DISPATCH_INTERVAL = env.float("DISPATCH_INTERVAL", default=1.0)
DISPATCH_BATCH_SIZE = env.int("DISPATCH_BATCH_SIZE", default=500)  # deliveries claimed per round trip
# A crisis alert's first batch is small, so that its first deliveries are on the queue (and
# out) while the rest is claimed.
DISPATCH_FIRST_BATCH_SIZE = env.int("DISPATCH_FIRST_BATCH_SIZE", default=64)
DISPATCH_MAX_BATCHES = env.int("DISPATCH_MAX_BATCHES", default=20)  # per tick; the next tick goes on
KICK_TIMEOUT = env.float("KICK_TIMEOUT", default=0.5)  # the most a web request waits on the broker
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=8)
# Deliveries per broker message (`posts.publish_batch`): claimed in one statement, their
# attempts written in one, their message's checks and content done once.
PUBLISH_BATCH_SIZE = env.int("PUBLISH_BATCH_SIZE", default=16)
# Threads per worker process for the networks' calls (a batch claims no more than are
# free); 0 sends each batch's calls one after the other in the task's own thread. 64: a
# crisis process spends about 3 ms of CPU per delivery, so 64 calls of ~350 ms each keep
# about half a core busy, and two processes send 128 at a time. That is within every
# network's budget: the budgets (PUBLISH_RATE_LIMITS) count calls, not concurrency, and no
# network documents a limit on concurrent publish calls across accounts.
PUBLISH_CALL_THREADS = env.int("PUBLISH_CALL_THREADS", default=64)
# Attempt n that failed for sure waits BASE * 2**(n-1), capped, ±JITTER: 30 s ... 20 min,
# eight attempts over about an hour.
PUBLISH_BACKOFF_BASE = env.float("PUBLISH_BACKOFF_BASE", default=30.0)
PUBLISH_BACKOFF_MAX = env.float("PUBLISH_BACKOFF_MAX", default=1200.0)
PUBLISH_BACKOFF_JITTER = env.float("PUBLISH_BACKOFF_JITTER", default=0.2)
# Nothing goes out late by surprise: a delivery that would leave more than this after the
# time a person gave it (the approved time, a release, a retry) is held for a press officer
# (posts.services.outcomes). Ninety minutes: the backoff's eight tries (52 min, 62 at the
# most with its jitter) fit in it, so only an outage or a long rate limit holds a delivery.
PUBLISH_LATE_AFTER = env.float("PUBLISH_LATE_AFTER", default=5400.0)
# Whether a publishing pause also holds crisis alerts (a pause is usually called because of
# the crisis the alert is about; set False to let alerts through every pause).
PUBLISHING_PAUSE_HOLDS_CRISIS = env.bool("PUBLISHING_PAUSE_HOLDS_CRISIS", default=True)
SWEEP_INTERVAL = env.float("SWEEP_INTERVAL", default=30.0)
SWEEPER_QUEUED_AFTER = env.float("SWEEPER_QUEUED_AFTER", default=120.0)  # queued that long: enqueue again
SWEEPER_SENDING_AFTER = env.float("SWEEPER_SENDING_AFTER", default=300.0)  # sending that long: unknown
# Unknown outcomes: ask the network after RECONCILE_DELAY; when it cannot tell, again after
# RECONCILE_RETRY_DELAY, at most RECONCILE_MAX_ROUNDS times, then a press officer settles it.
RECONCILE_DELAY = env.float("RECONCILE_DELAY", default=15.0)
RECONCILE_RETRY_DELAY = env.float("RECONCILE_RETRY_DELAY", default=60.0)
RECONCILE_MAX_ROUNDS = env.int("RECONCILE_MAX_ROUNDS", default=5)
RECONCILE_MARGIN = env.float("RECONCILE_MARGIN", default=120.0)  # look back before the first attempt
# Our own budget of publish calls, shared by every worker (counted in the database):
# {network: {"account": [calls, seconds], "app": [calls, seconds]}}. From the networks'
# documentation: X POST /2/tweets 100 per 15 min per user and 10,000 per 24 h per app;
# Facebook Pages 4,800 calls per 24 h per Page at the least (x engaged users); YouTube
# videos.insert 100 per day per project; Flickr 3,600 per hour per API key.
PUBLISH_RATE_LIMITS = env.json(
    "PUBLISH_RATE_LIMITS",
    default={
        "twitter": {"account": [100, 15 * 60], "app": [10_000, 24 * 3600]},
        "facebook": {"account": [4_800, 24 * 3600]},
        "youtube": {"app": [100, 24 * 3600]},
        "flickr": {"app": [3_600, 3600]},
    },
)
# --- The conversation desk (conversations/) ----------------------------------------------------
# Seconds between polls of one account, per network, when all goes well. Flickr's activity
# feed may be read at most once an hour (its documentation); webhooks carry X and Facebook
# in real time, so their polls only reconcile.
LISTEN_INTERVALS = env.json(
    "LISTEN_INTERVALS", default={"twitter": 300, "facebook": 900, "youtube": 1800, "flickr": 3600}
)
# YouTube has no push for comments, and every channel polls from the network's daily budget
# (NETWORK_DAILY_UNITS, back at midnight in California): a channel with an upload in the last
# LISTEN_RECENT_UPLOAD_HOURS polls at LISTEN_INTERVALS' pace, a quiet one
# LISTEN_QUIET_FACTOR times slower, all stretched to stay within the budget less its crisis
# reserve, which only channels of a mission in crisis may spend (conversations/services/quota.py).
LISTEN_RECENT_UPLOAD_HOURS = env.float("LISTEN_RECENT_UPLOAD_HOURS", default=48.0)
LISTEN_QUIET_FACTOR = env.float("LISTEN_QUIET_FACTOR", default=4.0)
LISTEN_TICK = env.float("LISTEN_TICK", default=30.0)  # beat's look for due cursors
LISTEN_BATCH_SIZE = env.int("LISTEN_BATCH_SIZE", default=200)  # accounts claimed per tick
LISTEN_CLAIM_SECONDS = env.float("LISTEN_CLAIM_SECONDS", default=300.0)  # a lost poll is claimed again after
# A failed poll waits BASE * 2**(failures-1), capped, ±JITTER (a share of it).
LISTEN_BACKOFF_BASE = env.float("LISTEN_BACKOFF_BASE", default=60.0)
LISTEN_BACKOFF_MAX = env.float("LISTEN_BACKOFF_MAX", default=3600.0)
LISTEN_BACKOFF_JITTER = env.float("LISTEN_BACKOFF_JITTER", default=0.2)
# How far back our own posts are watched for answers, in days (X: recent search's reach;
# Facebook's comments under the posts of the last two weeks).
LISTEN_REPLY_WINDOWS = env.json(
    "LISTEN_REPLY_WINDOWS", default={"twitter": 3, "facebook": 14, "youtube": 14, "flickr": 14}
)
# Webhooks: the largest body accepted (bytes), and the token Facebook's GET verification
# must present (set in the app's webhook settings on Meta's side).
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=1_000_000)
FACEBOOK_WEBHOOK_VERIFY_TOKEN = env("FACEBOOK_WEBHOOK_VERIFY_TOKEN", default="sandbox-facebook-verify-token")
# A pushed delivery is kept at once and ingested by the next drain: beat ticks it every
# WEBHOOK_DRAIN_INTERVAL seconds (a pushed item reaches the inbox within about that), and a
# drain takes WEBHOOK_DRAIN_BATCH deliveries at a time, at most WEBHOOK_DRAIN_ROUNDS times.
# A drain that died leaves its deliveries to another after WEBHOOK_DRAIN_CLAIM_SECONDS; one
# that failed WEBHOOK_DRAIN_ATTEMPTS times is kept, logged, for a person to look at.
WEBHOOK_DRAIN_INTERVAL = env.float("WEBHOOK_DRAIN_INTERVAL", default=1.0)
WEBHOOK_DRAIN_BATCH = env.int("WEBHOOK_DRAIN_BATCH", default=500)
WEBHOOK_DRAIN_ROUNDS = env.int("WEBHOOK_DRAIN_ROUNDS", default=20)
WEBHOOK_DRAIN_CLAIM_SECONDS = env.float("WEBHOOK_DRAIN_CLAIM_SECONDS", default=120.0)
WEBHOOK_DRAIN_ATTEMPTS = env.int("WEBHOOK_DRAIN_ATTEMPTS", default=10)

# --- The API, feeds and webhooks (api/) --------------------------------------------------------
# Django's cache holds the API's per-token request counts: give a shared one (redis://…) when
# several web processes serve the API, else each process counts alone.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
API_TOKEN_RATE = env.int("API_TOKEN_RATE", default=600)  # requests per minute per token, unless set on it
API_ANONYMOUS_RATE = env.int("API_ANONYMOUS_RATE", default=60)  # per minute per address (the schema)
API_MAX_BODY = env.int("API_MAX_BODY", default=256 * 1024)  # bytes: a larger JSON body gets 413
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
FEED_ENTRIES = env.int("FEED_ENTRIES", default=50)
FEED_CACHE_SECONDS = env.int("FEED_CACHE_SECONDS", default=300)
# Webhooks: an attempt's time-out, the first retry's wait (doubling, capped), how long a
# delivery is retried, and how long an endpoint may fail before it is disabled.
API_WEBHOOK_TIMEOUT = env.float("API_WEBHOOK_TIMEOUT", default=10.0)
API_WEBHOOK_BACKOFF_BASE = env.float("API_WEBHOOK_BACKOFF_BASE", default=30.0)
API_WEBHOOK_BACKOFF_MAX = env.float("API_WEBHOOK_BACKOFF_MAX", default=3600.0)
API_WEBHOOK_RETRY_FOR = env.float("API_WEBHOOK_RETRY_FOR", default=24 * 3600.0)
API_WEBHOOK_DISABLE_AFTER = env.float("API_WEBHOOK_DISABLE_AFTER", default=24 * 3600.0)
API_WEBHOOK_TICK = env.float("API_WEBHOOK_TICK", default=15.0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasRole", "api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Diplomacy Hub API",
    "DESCRIPTION": "Missions, messages, reviews, deliveries, crisis alerts and the conversation desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "NetworkEnum": "channels.models.Network",
        # Two choice sets named alike: a message's priority and a reply's kind get their own names.
        "MessagePriorityEnum": "posts.models.Priority",
        "ReplyKindEnum": "conversations.lifecycle.ReplyKind",
    },
}
# Replies (conversations/services/replies.py): the sweeper's tick; a queued reply not
# claimed this long after it was handed to the broker is handed over again; one `sending`
# this long (well past the networks' timeouts) is `unknown`, settled by looking for it.
# An approved crisis alert makes the crisis unit's lines level 0 for this many hours.
REPLY_SWEEP_INTERVAL = env.float("REPLY_SWEEP_INTERVAL", default=5.0)
REPLY_REQUEUE_AFTER = env.float("REPLY_REQUEUE_AFTER", default=30.0)
REPLY_SENDING_AFTER = env.float("REPLY_SENDING_AFTER", default=180.0)
CRISIS_ALERT_ACTIVE_HOURS = env.float("CRISIS_ALERT_ACTIVE_HOURS", default=72.0)

# Health (/healthz and the press office's health page): red beyond these ages.
HEALTH_DISPATCHER_MAX_AGE = env.float("HEALTH_DISPATCHER_MAX_AGE", default=30.0)
HEALTH_WORKER_MAX_AGE = env.float("HEALTH_WORKER_MAX_AGE", default=60.0)
HEALTH_MAX_DUE_AGE = env.float("HEALTH_MAX_DUE_AGE", default=120.0)
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=1.0)

# Periodic work, all small and idempotent. Beat only says "look at the database now".
# The dispatcher tick goes to both publishing queues: whichever worker is up claims the due
# deliveries (concurrent ticks are harmless), and each tick is also that queue's heartbeat.
# --- Analytics (analytics/) ---
ANALYTICS_TICK = env.float("ANALYTICS_TICK", default=300.0)  # seconds between beat's rounds
# Accounts claimed per round, and the most metric calls one account's task makes per network
# in one round: what is left waits for the next round (the networks' rate limits are per
# account; YouTube's daily quota is per project, see NETWORK_DAILY_UNITS).
ANALYTICS_ACCOUNTS_PER_ROUND = env.int("ANALYTICS_ACCOUNTS_PER_ROUND", default=200)
ANALYTICS_CALLS_PER_ACCOUNT = env.int("ANALYTICS_CALLS_PER_ACCOUNT", default=50)
# Each network's daily budget for the whole project, spent by listening and analytics alike
# (channels.budgets): YouTube's quota units (10,000 a day by default, a list call costs 1),
# calls elsewhere. Past it less the crisis reserve, routine reads wait for the next day.
NETWORK_DAILY_UNITS = {
    "twitter": env.int("NETWORK_DAILY_UNITS_TWITTER", default=100_000),
    "facebook": env.int("NETWORK_DAILY_UNITS_FACEBOOK", default=100_000),
    "youtube": env.int("NETWORK_DAILY_UNITS_YOUTUBE", default=10_000),
    "flickr": env.int("NETWORK_DAILY_UNITS_FLICKR", default=50_000),
}
# The share of each day's budget kept for missions under a crisis alert.
NETWORK_CRISIS_RESERVE = env.float("NETWORK_CRISIS_RESERVE", default=0.2)
# The weekly report's PDF font: Unicode, with Arabic (Debian's fonts-dejavu-core).
ANALYTICS_PDF_FONT = env.str("ANALYTICS_PDF_FONT", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# A claimed account is taken again after this many seconds if its task never finished.
ANALYTICS_CLAIM_SECONDS = env.int("ANALYTICS_CLAIM_SECONDS", default=900)

CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "dispatch-due-crisis": {
        "task": "posts.dispatch_due",
        "schedule": DISPATCH_INTERVAL,
        "options": {"queue": "crisis", "expires": DISPATCH_INTERVAL * 2},
    },
    "dispatch-due-publish": {
        "task": "posts.dispatch_due",
        "schedule": DISPATCH_INTERVAL,
        "options": {"queue": "publish", "expires": DISPATCH_INTERVAL * 2},
    },
    # Global time: the review desks' clock, and the reminders of the missions' recurring days.
    "review-clock": {
        "task": "posts.review_clock",
        "schedule": 60.0,
        "options": {"queue": "maintenance", "expires": 120.0},
    },
    "occasion-reminders": {
        "task": "posts.occasion_reminders",
        "schedule": 3600.0,
        "options": {"queue": "maintenance", "expires": 1800.0},
    },
    "sweep": {
        "task": "posts.sweep",
        "schedule": SWEEP_INTERVAL,
        "options": {"queue": "maintenance", "expires": SWEEP_INTERVAL * 2},
    },
    # Social accounts: verify every connected account hourly; refresh tokens that expire
    # within TOKEN_REFRESH_MARGIN (10 min) every 5 minutes, i.e. twice before they expire.
    "channels-health-check": {
        "task": "channels.health_check_all",
        "schedule": 3600.0,
        "options": {"queue": "maintenance", "expires": 1800.0},
    },
    "channels-refresh-expiring": {
        "task": "channels.refresh_expiring",
        "schedule": 300.0,
        "options": {"queue": "maintenance", "expires": 240.0},
    },
    # Mails whose task never reached a worker (the broker down at commit): again.
    "mail-queue-unsent": {
        "task": "mail.queue_unsent",
        "schedule": 300.0,
        "options": {"queue": "maintenance", "expires": 240.0},
    },
    # Invitations whose link never left (a broker or a mail server that was down): again.
    "security-mail-unsent-invitations": {
        "task": "security.mail_unsent_invitations",
        "schedule": 300.0,
        "options": {"queue": "maintenance", "expires": 240.0},
    },
    # The conversation desk: claim the accounts whose listening cursor is due, one task each.
    "conversations-poll-due": {
        "task": "conversations.poll_due",
        "schedule": LISTEN_TICK,
        "options": {"queue": "listen", "expires": LISTEN_TICK * 2},
    },
    # The pushed deliveries kept by the webhooks, ingested in batches.
    "conversations-drain-webhooks": {
        "task": "conversations.drain_webhooks",
        "schedule": WEBHOOK_DRAIN_INTERVAL,
        "options": {"queue": "listen", "expires": WEBHOOK_DRAIN_INTERVAL * 2},
    },
    # Analytics: claim the accounts with metrics due (followers daily, each delivery at 1 h,
    # 24 h, 7 d and 30 d), one task each.
    "analytics-collect-due": {
        "task": "analytics.collect_due",
        "schedule": ANALYTICS_TICK,
        "options": {"queue": "analytics", "expires": ANALYTICS_TICK * 2},
    },
    # The pages' pre-summed rows of the last 31 days, again (each round does yesterday and
    # today): a reading retried days later moves to the day it was read.
    "analytics-refresh-rollups": {
        "task": "analytics.refresh_rollups",
        "schedule": 86400.0,
        "options": {"queue": "analytics", "expires": 3600.0},
    },
    # The weekly reports: hourly, each sent on Monday from 07:00 in its recipient's zone.
    "analytics-weekly-reports": {
        "task": "analytics.weekly_reports",
        "schedule": 3600.0,
        "options": {"queue": "analytics", "expires": 1800.0},
    },
    # Webhooks whose retry is due (the first attempt is sent right after commit).
    "api-webhooks-due": {
        "task": "api.webhooks_due",
        "schedule": API_WEBHOOK_TICK,
        "options": {"queue": "maintenance", "expires": API_WEBHOOK_TICK * 2},
    },
    "conversations-sweep-replies": {
        "task": "conversations.sweep_replies",
        "schedule": REPLY_SWEEP_INTERVAL,
        "options": {"queue": "maintenance", "expires": REPLY_SWEEP_INTERVAL * 2},
    },
    # Presence rows of pages closed for good (nobody beats on them again).
    "conversations-forget-viewers": {
        "task": "conversations.forget_viewers",
        "schedule": 900.0,
        "options": {"queue": "listen", "expires": 600.0},
    },
    "conversations-wake-snoozed": {
        "task": "conversations.wake_snoozed",
        "schedule": 60.0,
        "options": {"queue": "listen", "expires": 120.0},
    },
    # Service clocks: warn at three quarters, escalate on breach, offer after hours.
    "conversations-check-clocks": {
        "task": "conversations.check_clocks",
        "schedule": 60.0,
        "options": {"queue": "listen", "expires": 120.0},
    },
}

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "quiet_ticks": {"()": "diplomacy_hub.log_filters.QuietTicks"},
        "refusals_in_one_line": {"()": "diplomacy_hub.log_filters.RefusalsInOneLine"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # flickrapi logs whole response bodies at ERROR level; keep our own wording instead.
        "flickrapi": {"level": "CRITICAL"},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts; every success is in the audit log
        # These print tokens, secrets, token responses or Authorization headers at DEBUG.
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "tweepy": {"level": "INFO"},
        # The console of `make run` and of production: no idle dispatcher ticks (beat sends
        # them, the worker receives and finishes them), and a refusal in one line.
        "celery.beat": {"filters": ["quiet_ticks"]},
        "celery.worker.strategy": {"filters": ["quiet_ticks"]},
        "celery.app.trace": {"filters": ["quiet_ticks"]},
        "django.request": {"filters": ["refusals_in_one_line"]},
    },
}
