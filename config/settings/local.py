"""Embedded defaults for `make run`: SQLite, in-process cache, worker and channel layer."""
from __future__ import annotations

import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, FIELD_ENCRYPTION_KEYS, SECRET_KEY, env

_var = BASE_DIR / "var"
_var.mkdir(exist_ok=True)


def _persisted(name: str, make) -> str:
    # Local secrets are generated once per checkout and kept under var/ (git-ignored), so a
    # fresh clone needs no set-up and no secret is ever committed.
    path = _var / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = SECRET_KEY or _persisted("secret_key", lambda: secrets.token_urlsafe(50))
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
    _persisted("fernet.key", lambda: Fernet.generate_key().decode())
]
DEBUG = env.bool("DEBUG", default=False)
# Embedded mode usually has no mail server (console backend), so a mandatory verification link could never
# arrive, and users made by createsuperuser or load_demo have no verified address: verification stays
# optional here. Sign-up then says when an e-mail is taken; base.py's "mandatory" (production) hides it.
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
AOTY_FETCHER = env("AOTY_FETCHER", default="http")
