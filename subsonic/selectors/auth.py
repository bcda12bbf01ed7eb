"""Who is calling: a Subsonic request's credentials (apiKey, token + salt, or password) checked against
personal API tokens and Subsonic app passwords."""
from __future__ import annotations

import hashlib
import hmac
import re
import time

from common.types import AuthUser

from ..models import AppPassword
from ..protocol import CONFLICTING_AUTH, INVALID_API_KEY, WRONG_CREDENTIALS, Params, SubsonicError, missing

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_MD5 = re.compile(r"[0-9a-fA-F]{32}")


# -- who is calling -----------------------------------------------------------------------------------------
def user_from_params(*, params: Params) -> AuthUser:
    """The user the request authenticates as: `apiKey` (a personal API token), or `u` with `t`+`s` or `p`
    checked against the user's Subsonic app password. Raises SubsonicError 10/40/43/44."""
    from accounts.services import user_for_bearer_token

    api_key = params.get("apiKey")
    username = params.get("u")
    if api_key:
        if params.has("u") or params.has("p") or params.has("t") or params.has("s"):
            raise SubsonicError(CONFLICTING_AUTH, "Multiple conflicting authentication mechanisms provided.")
        user = user_for_bearer_token(token=api_key) if len(api_key) < 2048 else None
        if user is None or not user.is_active:
            raise SubsonicError(INVALID_API_KEY, "Invalid API key.")
        return user
    if not username:
        raise missing("u")
    token, salt, password = params.get("t"), params.get("s"), params.get("p")
    if not password and not (token and salt):
        raise missing("t" if not token else "s") if (token or salt) else missing("p")
    row = _app_password(username) if len(username) <= 150 else None
    secret = row.secret if row is not None else ""
    if not secret:
        raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
    if password:
        if password.startswith("enc:"):
            hexed = password[4:]
            if not _HEX.fullmatch(hexed):
                raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
            try:
                password = bytes.fromhex(hexed).decode()
            except UnicodeDecodeError:
                raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.") from None
        ok = hmac.compare_digest(password.encode(), secret.encode())
    else:
        expected = hashlib.md5((secret + salt).encode(), usedforsecurity=False).hexdigest()
        ok = bool(_MD5.fullmatch(token)) and hmac.compare_digest(expected, token.lower())
    if not ok:
        raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
    assert row is not None
    return row.user


# Every Subsonic request authenticates; a client playing an album sends dozens a minute. The row is kept
# for a few seconds per process (like accounts' personal tokens), and dropped here when it changes.
_PASSWORD_SECONDS = 5.0
_passwords: dict[str, tuple[float, AppPassword | None]] = {}


def _app_password(username: str) -> AppPassword | None:
    hit = _passwords.get(username)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    row = AppPassword.objects.select_related("user").filter(user__username=username, user__is_active=True).first()
    if len(_passwords) > 10_000:  # bounded: drop everything rather than grow without limit
        _passwords.clear()
    _passwords[username] = (time.monotonic() + _PASSWORD_SECONDS, row)
    return row


def app_password_forget(*, username: str) -> None:
    _passwords.pop(username, None)


def app_password_for(*, user: AuthUser) -> AppPassword | None:
    return AppPassword.objects.filter(user=user).first()
