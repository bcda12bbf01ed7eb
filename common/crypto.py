"""Encryption at rest for user secrets (API keys, tokens), with key rotation.

FIELD_ENCRYPTION_KEYS is a list of Fernet keys: the first encrypts, all of them decrypt, so a new
key can be put first and `rotate_credentials` re-encrypts old rows. Keys are never derived from
SECRET_KEY.
"""
from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """The stored value cannot be decrypted with any configured key: ask the user to re-enter it."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds an invalid Fernet key.") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise DecryptionFailed("Stored secret cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypts with the first key (MultiFernet.rotate)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise DecryptionFailed("Stored secret cannot be decrypted with the configured keys.") from exc


def mask(secret: str, *, visible: int = 4) -> str:
    """Shows only the last few characters: never a secret back in full."""
    if not secret:
        return ""
    return "•" * 8 + secret[-visible:] if len(secret) > visible * 2 else "•" * 8
