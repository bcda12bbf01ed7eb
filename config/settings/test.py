"""Test settings: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI), else embedded."""
from __future__ import annotations

import os
import tempfile

from cryptography.fernet import Fernet

from .base import *  # noqa: F401,F403
from .base import AOTY_CHROMIUM_ARGS, BASE_DIR, DATABASES, env

SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 20
FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_EMAIL_VERIFICATION = "none"
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # tests open and close connections freely
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = str(BASE_DIR / "var" / "test.sqlite3")
MEDIA_ROOT = tempfile.mkdtemp(prefix="stylus-media-")
RECOMMEND_INDEX_DIR = os.path.join(MEDIA_ROOT, "index")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run Celery tasks inline unless a test starts the embedded worker (tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
INTEGRATION_BACKOFF_BASE = 0.01
INTEGRATION_MAX_INLINE_WAIT = 0.5
INTEGRATION_TIMEOUT = env.float("INTEGRATION_TIMEOUT", default=2.0)
AOTY_FETCHER = "http"
AOTY_MIN_INTERVAL = 0.0
# The test browser resolves no name but this machine's: recorded pages link to AOTY's CDN, and Chromium
# fetches a page's favicon itself, outside Playwright's routing, so nothing else would keep it off the network.
AOTY_CHROMIUM_ARGS = [*AOTY_CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
IA_MIN_INTERVAL = 0.0
CHANNELS_PREFIX = "stylus-test"
ACCOUNT_RATE_LIMITS = False
STYLUS_EMBEDDED_WORKER = False  # the asgi_server fixture starts the worker itself (no beat)
# Nothing in the suite may reach a real service: every base URL points at a closed local port
# unless a test points it at the replay server.
_NOWHERE = "http://127.0.0.1:9"
AOTY_BASE_URL = IA_BASE_URL = DISCOGS_API_URL = DISCOGS_WEB_URL = EBAY_API_URL = _NOWHERE
SPOTIFY_API_URL = _NOWHERE + "/v1"
SPOTIFY_ACCOUNTS_URL = _NOWHERE
LISTENBRAINZ_API_URL = LASTFM_API_URL = _NOWHERE
LASTFM_API_KEY, LASTFM_API_SECRET = "test-lastfm-key", "test-lastfm-secret"
CELERY_TASK_DEFAULT_QUEUE = "stylus-test"
WHITENOISE_USE_FINDERS = True  # browser tests see app static files without a collectstatic
WHITENOISE_AUTOREFRESH = True
# Every API operation is throttled (config/api.py); the fuzz run and long tests drive one account far past
# 600 a minute. Throttle tests build their own rates.
API_DEFAULT_RATE = "1000000/m"
# Album covers are stored by a background task: the suite stores none unless a test turns it on
# and points AOTY_COVER_BASE_URL at the replay server.
AOTY_STORE_COVERS = False
AOTY_COVER_BASE_URL = _NOWHERE
# The same for Spotify covers (recommend, tracks): a test turns them on and points the base at the replay server.
SPOTIFY_STORE_COVERS = False
SPOTIFY_COVER_BASE_URL = _NOWHERE
