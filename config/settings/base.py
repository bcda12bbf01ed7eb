"""Settings shared by every mode. Environment variables are read only under config/settings/."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

# Generic Django classes (ModelAdmin[Job], QuerySet[Album]) subscriptable at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATABASE_URL = env("DATABASE_URL", default="")
REDIS_URL = env("REDIS_URL", default="")
# Embedded mode: no Redis, so the Celery worker and beat run inside the one ASGI process
# (see common/embedded.py and the README's "Embedded mode" section).
STYLUS_EMBEDDED = not REDIS_URL

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "channels",
    "corsheaders",
    "csp",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "django_prometheus",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.spotify",
    "ninja",
    "common",
    "accounts",
    "albums",
    "users_aoty",
    "tracks",
    "recommend",
    "digger",
    "archive",
    "concerts",
    "listening",
    "subsonic",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.GZipMiddleware",  # Django's, skipping media and ranges
    "corsheaders.middleware.CorsMiddleware",
    "common.middleware.MetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.RequestGuardMiddleware",  # bad multipart -> 400 before CSRF reads it; upstream wait cap
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "listening.middleware.BoostedAsPageMiddleware",  # before django_htmx's: boosted navigation gets whole pages
    "django_htmx.middleware.HtmxMiddleware",
    "common.middleware.UpstreamErrorMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# What e-mails and page titles call this installation (allauth's sign-up and reset mails use them
# through accounts.adapter, not the django.contrib.sites row, which says "example.com" until edited).
SITE_NAME = env("SITE_NAME", default="Stylus")
SITE_DOMAIN = env("SITE_DOMAIN", default="localhost:8000")
# The addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn and gunicorn read the same
# variable; config/gunicorn.py passes it on). Everyone else's client address is the TCP peer, so a made-up
# header cannot buy a fresh per-client budget. Behind a real proxy, set it to that proxy's address.
FORWARDED_ALLOW_IPS = env("FORWARDED_ALLOW_IPS", default="127.0.0.1")
# /metrics (Prometheus) and /health's per-check details: staff, or a scraper sending this bearer token.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

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
                "common.context_processors.site",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite with WAL and IMMEDIATE transactions so the embedded worker thread and the
# web requests don't trip over "database is locked".
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # DATABASE_URL=sqlite:///path/to.db: the same SQLite tuning as SQLITE_PATH; the pool below is
        # psycopg's and SQLite's driver refuses the keyword.
        DATABASES["default"].setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
    else:
        # Under ASGI each request may run on a different thread, so persistent per-thread connections
        # pile up; psycopg's pool (Django 5.1+) bounds them per process instead.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=1),
            "max_size": env.int("DB_POOL_MAX", default=10),
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "var" / "stylus.sqlite3")),
            "OPTIONS": dict(_SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis first, in-process memory while Redis is unreachable -------------------
CACHES = {
    "default": {
        "BACKEND": "common.cache.FallbackCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": 300,
        "OPTIONS": {"retry_after": env.float("CACHE_RETRY_AFTER", default=5.0)},
    }
}

# --- Channels -----------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNELS_PREFIX", default="stylus")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"socket_connect_timeout": 1, "socket_timeout": 5, "max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
    if REDIS_URL
    else {"polling_interval": 0.1}
)
# A request that enqueues while Redis is down gives up quickly (StylusTask records it instead).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Auth ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# Mandatory verification is what lets allauth hide which e-mails are registered: a sign-up with a taken
# address looks exactly like a new one, and the address's owner gets an "you already have an account" mail.
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# login_failed: the form and POST /api/v1/auth/token share it, keyed on the account (accounts.adapter).
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {"login_failed": "10/m/ip,5/5m/key"}
SPOTIFY_CLIENT_ID = env("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env("SPOTIFY_CLIENT_SECRET", default="")
SOCIALACCOUNT_PROVIDERS = {
    "spotify": {
        "SCOPE": ["user-read-email", "playlist-read-private", "user-library-read", "playlist-modify-private"],
        "OAUTH_PKCE_ENABLED": True,
        **(
            {"APPS": [{"client_id": SPOTIFY_CLIENT_ID, "secret": SPOTIFY_CLIENT_SECRET}]}
            if SPOTIFY_CLIENT_ID
            else {}
        ),
    }
}
SOCIALACCOUNT_STORE_TOKENS = True
JWT_ACCESS_MINUTES = 30
JWT_REFRESH_DAYS = 7
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Stylus <noreply@stylus.local>")

# --- i18n / static / media -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# Largest image (width x height) any upload may decode to; bigger ones are refused with a 400 (common.apps).
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)

# --- Security headers (production.py tightens the rest) -----------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# The origin (scheme://host[:port]) of IA_BASE_URL, for the CSP's media-src.
IA_MEDIA_ORIGIN = "/".join(env("IA_BASE_URL", default="https://archive.org").split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        # The player streams archive files straight from IA_BASE_URL's origin; nothing else (issue 14).
        "media-src": ["'self'", IA_MEDIA_ORIGIN],
        # IA's origin too: gapless decoding and "Keep offline" fetch the archive's files.
        "connect-src": ["'self'", "ws:", "wss:", IA_MEDIA_ORIGIN],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://accounts.spotify.com"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- API -----------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20
# Throttles tell anonymous clients apart by address. The default (0) trusts only REMOTE_ADDR, which uvicorn
# already sets from X-Forwarded-For when the request comes from FORWARDED_ALLOW_IPS; ninja's own default
# would trust any X-Forwarded-For a client sends, a fresh budget per made-up header.
NINJA_NUM_PROXIES = env.int("NINJA_NUM_PROXIES", default=0)
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 100
API_EXTERNAL_RATE = env("API_EXTERNAL_RATE", default="30/m")
API_DEFAULT_RATE = env("API_DEFAULT_RATE", default="600/m")
PUBLIC_CATALOGUE_MODELS = ["albums.Album", "albums.Artist", "concerts.Concert", "concerts.Recording", "recommend.Track"]
# Benchmarks only: exposes /bench/bare, a bare JsonResponse view to compare the full stack against.
STYLUS_BENCH_VIEWS = env.bool("STYLUS_BENCH_VIEWS", default=False)

# --- External services: each base URL from the environment, defaulting to the real one ----
AOTY_BASE_URL = env("AOTY_BASE_URL", default="https://www.albumoftheyear.org")
IA_BASE_URL = env("IA_BASE_URL", default="https://archive.org")
DISCOGS_API_URL = env("DISCOGS_API_URL", default="https://api.discogs.com")
DISCOGS_WEB_URL = env("DISCOGS_WEB_URL", default="https://www.discogs.com")
EBAY_API_URL = env("EBAY_API_URL", default="https://api.ebay.com")
SPOTIFY_API_URL = env("SPOTIFY_API_URL", default="https://api.spotify.com/v1")
SPOTIFY_ACCOUNTS_URL = env("SPOTIFY_ACCOUNTS_URL", default="https://accounts.spotify.com")
STYLUS_USER_AGENT = env("STYLUS_USER_AGENT", default="Stylus/1.0 (+https://github.com/stylus-music/stylus)")
# Retries on transient errors: exponential backoff from this base, with jitter.
INTEGRATION_BACKOFF_BASE = env.float("INTEGRATION_BACKOFF_BASE", default=1.0)
INTEGRATION_MAX_RETRIES = env.int("INTEGRATION_MAX_RETRIES", default=3)
# A Retry-After longer than this is not slept through in-process; the caller gets
# RateLimited(retry_after) and a Celery task reschedules itself instead.
INTEGRATION_MAX_INLINE_WAIT = env.float("INTEGRATION_MAX_INLINE_WAIT", default=30.0)
INTEGRATION_TIMEOUT = env.float("INTEGRATION_TIMEOUT", default=20.0)
# A web request never waits longer than this on upstream Retry-After and backoff (summed): past it the
# visitor gets a 503 with Retry-After at once, and only background jobs wait (common.middleware).
INTEGRATION_MAX_WEB_WAIT = env.float("INTEGRATION_MAX_WEB_WAIT", default=5.0)

STYLUS_FIXTURES_DIR = env("STYLUS_FIXTURES_DIR", default=str(BASE_DIR.parent / "shared" / "fixtures"))

# --- Feature settings, one block per app ----------------------------------------------------
# albums / users_aoty
AOTY_FETCHER = env("AOTY_FETCHER", default="playwright")
AOTY_MIN_INTERVAL = env.float("AOTY_MIN_INTERVAL", default=5.0)
AOTY_CONCURRENCY = env.int("AOTY_CONCURRENCY", default=2)  # pages open at once per process
AOTY_TIMEOUT = env.float("AOTY_TIMEOUT", default=15.0)
AOTY_RESPECT_ROBOTS = env.bool("AOTY_RESPECT_ROBOTS", default=True)
AOTY_ROBOTS_TTL = env.int("AOTY_ROBOTS_TTL", default=24 * 3600)
AOTY_BLOCK_COOLDOWN = env.int("AOTY_BLOCK_COOLDOWN", default=15 * 60)  # stay away this long after a block
AOTY_CHROMIUM_PATH = env("AOTY_CHROMIUM_PATH", default="/usr/bin/chromium")
AOTY_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run", "--disable-quic"]
# Freshness (seconds): stored data older than this is served while a background refresh runs.
AOTY_ALBUM_TTL = env.int("AOTY_ALBUM_TTL", default=7 * 24 * 3600)
AOTY_SIMILAR_TTL = env.int("AOTY_SIMILAR_TTL", default=24 * 3600)
AOTY_USER_TTL = env.int("AOTY_USER_TTL", default=3600)
AOTY_SEARCH_TTL = env.int("AOTY_SEARCH_TTL", default=12 * 3600)
AOTY_LIST_TTL = env.int("AOTY_LIST_TTL", default=6 * 3600)
AOTY_REFRESH_BATCH = env.int("AOTY_REFRESH_BATCH", default=20)  # stale albums the periodic task refreshes per run
# Warm browser pages (issue 18): pages kept open in one long-lived context per process, each replaced
# after AOTY_PAGE_RECYCLE fetches (or a crash or hang). "request" fetches through the context's request
# API (same cookies and user agent) once a page has loaded a normal AOTY page, falling back to a full
# navigation on a challenge; "navigate" always navigates.
AOTY_BROWSER_PAGES = env.int("AOTY_BROWSER_PAGES", default=2)
AOTY_PAGE_RECYCLE = env.int("AOTY_PAGE_RECYCLE", default=200)
AOTY_FETCH_MODE = env("AOTY_FETCH_MODE", default="request")
AOTY_REQUEST_CHALLENGE_LIMIT = env.int("AOTY_REQUEST_CHALLENGE_LIMIT", default=3)  # in a row, then navigate only
# Covers are stored once in media storage (albums.services.covers); AOTY_COVER_BASE_URL replaces
# the CDN's scheme and host (a mirror, or the replay server in tests).
AOTY_STORE_COVERS = env.bool("AOTY_STORE_COVERS", default=True)
AOTY_COVER_BASE_URL = env("AOTY_COVER_BASE_URL", default="")

# archive / concerts
IA_MIN_INTERVAL = env.float("IA_MIN_INTERVAL", default=1.0)
ARCHIVE_USER_QUOTA_BYTES = env.int("ARCHIVE_USER_QUOTA_BYTES", default=20 * 1024**3)
ARCHIVE_MIN_FREE_BYTES = env.int("ARCHIVE_MIN_FREE_BYTES", default=200 * 1024**2)  # never fill the disk past this
ARCHIVE_SEARCH_CACHE_TTL = env.int("ARCHIVE_SEARCH_CACHE_TTL", default=30 * 60)
ARCHIVE_METADATA_CACHE_TTL = env.int("ARCHIVE_METADATA_CACHE_TTL", default=60 * 60)
# 4 MB reads: measured in bench/bench_archive.py, fewer and larger blocks cut the CPU per byte of the
# pipeline (1.0 MB: ~2.0 s/GB, 4 MB: ~1.6 s/GB with md5 alone at ~1.3); the ring holds RING_BLOCKS of them.
ARCHIVE_DOWNLOAD_CHUNK_BYTES = env.int("ARCHIVE_DOWNLOAD_CHUNK_BYTES", default=4 * 1024 * 1024)
# Downloads write whole blocks with O_DIRECT (no page-cache copy); off, or where the file system refuses it, buffered.
ARCHIVE_DIRECT_WRITES = env.bool("ARCHIVE_DIRECT_WRITES", default=True)
# Digests a download must match: md5 is listed for every archive file; "md5+sha1" also checks sha1
# (about 0.8x more CPU per byte). sha1 stands in when a file lists no md5.
ARCHIVE_VERIFY = env.str("ARCHIVE_VERIFY", default="md5")
if ARCHIVE_VERIFY not in ("md5", "md5+sha1"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"ARCHIVE_VERIFY must be md5 or md5+sha1, not {ARCHIVE_VERIFY!r}")
CONCERTS_SCRAPE_PAGE_SIZE = env.int("CONCERTS_SCRAPE_PAGE_SIZE", default=5000)

# recommend
RECOMMEND_INDEX_DIR = env("RECOMMEND_INDEX_DIR", default=str(BASE_DIR / "var" / "index"))
# Exact IndexFlatIP below this many vectors, IndexIVFFlat (nlist = factor * sqrt(N), 4..16) above.
RECOMMEND_FLAT_MAX = env.int("RECOMMEND_FLAT_MAX", default=50_000)
RECOMMEND_NLIST_FACTOR = env.float("RECOMMEND_NLIST_FACTOR", default=4.0)
RECOMMEND_TARGET_RECALL = env.float("RECOMMEND_TARGET_RECALL", default=0.95)  # nprobe is tuned to reach this
RECOMMEND_OMP_THREADS = env.int("RECOMMEND_OMP_THREADS", default=1)  # FAISS threads per process (web: one query is small)
RECOMMEND_MAX_PER_ARTIST = env.int("RECOMMEND_MAX_PER_ARTIST", default=2)
RECOMMEND_GENRE_BOOST = env.float("RECOMMEND_GENRE_BOOST", default=0.03)
RECOMMEND_NIGHTLY_REBUILD_HOUR = env.int("RECOMMEND_NIGHTLY_REBUILD_HOUR", default=3)  # UTC
RECOMMEND_MAX_AUDIO_SECONDS = env.float("RECOMMEND_MAX_AUDIO_SECONDS", default=120.0)  # analysed per file
SPOTIFY_MIN_INTERVAL = env.float("SPOTIFY_MIN_INTERVAL", default=0.05)
# Spotify covers (recommend albums, tracks songs and album series) are stored once in media storage by a task
# and pages serve the stored copy (common.covers). Only images on these hosts (or their subdomains), or on
# SPOTIFY_API_URL's own origin, are fetched; SPOTIFY_COVER_BASE_URL replaces their scheme and host (tests, a mirror).
SPOTIFY_STORE_COVERS = env.bool("SPOTIFY_STORE_COVERS", default=True)
SPOTIFY_COVER_HOSTS = env.list("SPOTIFY_COVER_HOSTS", default=["scdn.co", "spotifycdn.com"])
SPOTIFY_COVER_BASE_URL = env("SPOTIFY_COVER_BASE_URL", default="")

# digger
# Discogs: one moving 60-second window shared by every worker (Redis). Web marketplace pages
# count against the shared total; anonymous API calls also against their own 25/min.
DISCOGS_RATE_LIMIT_AUTH = env.int("DISCOGS_RATE_LIMIT_AUTH", default=60)
DISCOGS_RATE_LIMIT_ANON = env.int("DISCOGS_RATE_LIMIT_ANON", default=25)
DISCOGS_RATE_WINDOW = env.float("DISCOGS_RATE_WINDOW", default=60.0)
DISCOGS_EXHAUSTED_PAUSE = env.float("DISCOGS_EXHAUSTED_PAUSE", default=5.0)
# Marketplace listings are scraped from the public /sell pages (not in the API); off = stats only.
DISCOGS_MARKETPLACE_SCRAPING = env.bool("DISCOGS_MARKETPLACE_SCRAPING", default=True)
EBAY_DAILY_CALL_BUDGET = env.int("EBAY_DAILY_CALL_BUDGET", default=5000)
EBAY_MARKETPLACE_ID = env("EBAY_MARKETPLACE_ID", default="EBAY_US")
EBAY_VINYL_CATEGORY_ID = "176985"
# Deal score = 100 * weighted mean of sub-scores in [0, 1] (see digger/scoring.py).
DIGGER_SCORE_WEIGHTS = {
    "price": env.float("DIGGER_WEIGHT_PRICE", default=0.40),
    "reputation": env.float("DIGGER_WEIGHT_REPUTATION", default=0.25),
    "inventory": env.float("DIGGER_WEIGHT_INVENTORY", default=0.20),
    "location": env.float("DIGGER_WEIGHT_LOCATION", default=0.15),
}
# Shipping estimate per seller: first item + each additional one, same region vs abroad.
DIGGER_SHIPPING = {"domestic": ("6.00", "1.50"), "international": ("18.00", "4.00")}
DIGGER_FUZZY_THRESHOLD = env.int("DIGGER_FUZZY_THRESHOLD", default=85)
DIGGER_MAX_LISTINGS_PER_PLATFORM = env.int("DIGGER_MAX_LISTINGS_PER_PLATFORM", default=100)
DIGGER_PRICE_LOOKUPS_PER_RUN = env.int("DIGGER_PRICE_LOOKUPS_PER_RUN", default=5)
DIGGER_RUN_SOFT_TIME_LIMIT = env.int("DIGGER_RUN_SOFT_TIME_LIMIT", default=15 * 60)
DIGGER_RUN_TIME_LIMIT = env.int("DIGGER_RUN_TIME_LIMIT", default=16 * 60)
DIGGER_DUE_CHECK_MINUTES = env.int("DIGGER_DUE_CHECK_MINUTES", default=10)
# Cart optimizer (digger/optimizer.py): HiGHS stops here and reports the remaining gap.
CART_TIME_LIMIT_S = env.float("CART_TIME_LIMIT_S", default=20.0)
# Units per 1 USD, with the date they were set; staff override them in the admin (digger.ExchangeRate).
DIGGER_EXCHANGE_RATES = {"USD": "1", "EUR": "0.92", "GBP": "0.79", "CAD": "1.37", "AUD": "1.53", "JPY": "151.0",
                         "CHF": "0.88", "SEK": "10.6", "NOK": "10.8", "DKK": "6.87", "PLN": "3.98", "NZD": "1.66",
                         "BRL": "5.05", "MXN": "17.1"}
DIGGER_EXCHANGE_RATES_DATE = env("DIGGER_EXCHANGE_RATES_DATE", default="2026-11-01")
DIGGER_WEBHOOK_MAX_FAILURES = env.int("DIGGER_WEBHOOK_MAX_FAILURES", default=5)  # then the channel is paused
# Web push for digger alerts (VAPID, RFC 8292); unset keys turn browser notifications off. The private key is
# the base64url raw key or PEM that py-vapid reads (`vapid --gen`).
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env("VAPID_SUBJECT", default="mailto:admin@localhost")

# tracks
TRACKS_MAX_IMAGE_BYTES = env.int("TRACKS_MAX_IMAGE_BYTES", default=4 * 1024 * 1024)
# rapidfuzz score (0-100) above which a Spotify search result is applied without asking the user.
TRACKS_SPOTIFY_MATCH_THRESHOLD = env.float("TRACKS_SPOTIFY_MATCH_THRESHOLD", default=88.0)
TRACKS_SONGS_PER_PAGE = env.int("TRACKS_SONGS_PER_PAGE", default=50)

# listening
LISTENBRAINZ_API_URL = env("LISTENBRAINZ_API_URL", default="https://api.listenbrainz.org")
LASTFM_API_URL = env("LASTFM_API_URL", default="https://ws.audioscrobbler.com/2.0")
LASTFM_AUTH_URL = env("LASTFM_AUTH_URL", default="https://www.last.fm/api/auth/")
LASTFM_API_KEY = env("LASTFM_API_KEY", default="")
LASTFM_API_SECRET = env("LASTFM_API_SECRET", default="")
OFFLINE_CACHE_MB = env.int("OFFLINE_CACHE_MB", default=2048)  # played tracks kept by the service worker, LRU

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # httpx logs every request at INFO; our client records timings in the metrics instead.
    "loggers": {"django.db.backends": {"level": "INFO"}, "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
