"""Account writes: personal tokens, JWT pairs, and the "export my data" job."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from pathlib import Path

import jwt
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from common import services as common_services
from common.exceptions import InvalidInput
from common.models import Job

from .models import ApiToken

log = logging.getLogger(__name__)

TOKEN_PREFIX = "sty_"
_ALGORITHM = "HS256"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Creates a personal token; returns the row and the plaintext, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Token name must be 1 to 100 characters.", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=plaintext[:10], token_hash=_hash(plaintext))
    return token, plaintext


def api_token_revoke(*, user, token_id: int) -> bool:
    """Revokes one of the user's own tokens; False if it is not theirs or already revoked."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        return False
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1
    key = _TOKEN_CACHE.format(token.token_hash)
    cache.delete(key)  # takes effect at once, not after the cache TTL
    _token_local.pop(key, None)
    return revoked


def _jwt(user, kind: str, lifetime: dt.timedelta) -> str:
    now = timezone.now()
    payload = {"sub": str(user.pk), "type": kind, "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp()),
               "jti": secrets.token_hex(8)}
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=_ALGORITHM)


def jwt_pair_for(*, user) -> dict[str, str]:
    """An access token (30 minutes) and a refresh token (7 days)."""
    return {
        "access": _jwt(user, "access", dt.timedelta(minutes=settings.JWT_ACCESS_MINUTES)),
        "refresh": _jwt(user, "refresh", dt.timedelta(days=settings.JWT_REFRESH_DAYS)),
    }


def _jwt_user(token: str, *, kind: str):
    try:
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "type"]})
    except jwt.PyJWTError:
        return None
    if payload.get("type") != kind:
        return None
    return get_user_model().objects.filter(pk=payload["sub"], is_active=True).first()


def jwt_refresh(*, refresh: str) -> dict[str, str] | None:
    """A new pair for a valid refresh token; access tokens are rejected here."""
    user = _jwt_user(refresh, kind="refresh")
    return jwt_pair_for(user=user) if user else None


_TOKEN_CACHE = "apitoken:{}"
_TOKEN_CACHE_SECONDS = 60
# A few seconds of per-process memory in front of the shared cache: a busy API client costs no
# network round trip per request. A revoked token stops working here at once, and in other
# processes within _TOKEN_LOCAL_SECONDS (JWT access tokens, by contrast, live 30 minutes).
_TOKEN_LOCAL_SECONDS = 5.0
_token_local: dict[str, tuple[float, object]] = {}


def _remember_locally(key: str, user) -> None:
    if len(_token_local) > 10_000:  # bounded: drop everything rather than grow without limit
        _token_local.clear()
    _token_local[key] = (time.monotonic() + _TOKEN_LOCAL_SECONDS, user)


def user_for_bearer_token(*, token: str):
    """The user behind a personal token or JWT access token, or None.

    A personal token's user is cached for a minute, so an API client costs no database query per
    request; revoking a token drops its cache entry at once.
    """
    if token.startswith(TOKEN_PREFIX):
        token_hash = _hash(token)
        key = _TOKEN_CACHE.format(token_hash)
        local = _token_local.get(key)
        if local is not None and local[0] > time.monotonic():
            return local[1]
        user = cache.get(key)
        if user is not None:
            _remember_locally(key, user)
            return user
        row = ApiToken.objects.select_related("user").filter(token_hash=token_hash, revoked_at__isnull=True).first()
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or timezone.now() - row.last_used_at > dt.timedelta(minutes=5):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())  # coarse, to spare writes
        cache.set(key, row.user, _TOKEN_CACHE_SECONDS)
        _remember_locally(key, row.user)
        return row.user
    return _jwt_user(token, kind="access")


def user_authenticate(*, username: str, password: str):
    """Checks a username (or email) and password."""
    from django.contrib.auth import authenticate

    User = get_user_model()
    login = (username or "").strip()
    if "@" in login:
        match = User.objects.filter(email__iexact=login).first()
        login = match.get_username() if match else login
    return authenticate(username=login, password=password or "")


# -- export my data --------------------------------------------------------------------------
def _user_models() -> list[tuple[type[models.Model], str]]:
    """Every model with a direct foreign key to the user: what "my data" means, app by app."""
    User = get_user_model()
    found = []
    for model in apps.get_models():
        if model._meta.app_label in ("admin", "sessions", "auth", "contenttypes", "account", "socialaccount"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.remote_field.model is User:
                found.append((model, field.name))
                break
    return found


def user_data_export_start(*, user) -> Job:
    """Creates an export job and queues it after commit."""
    from accounts.tasks import export_user_data

    return common_services.job_start(user=user, kind="export", label="Export my data", task=export_user_data,
                                     total=len(_user_models()))


def _safe(row: dict) -> dict:
    # Never export secrets, even encrypted ones.
    return {k: v for k, v in row.items() if not any(s in k for s in ("token", "secret", "password", "key"))}


def user_data_export(*, job_id: int) -> None:
    """Writes the user's rows from every section to MEDIA_ROOT/exports/<user>/ as JSON."""
    if not common_services.job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    with common_services.job_failure_guard(job=job):
        _export(job)


def _export(job: Job) -> None:
    targets = _user_models()
    data: dict[str, list] = {}
    for index, (model, field) in enumerate(targets, start=1):
        rows = list(model.objects.filter(**{field: job.user}).values()[:50000])
        data[model._meta.label] = [_safe(r) for r in rows]
        common_services.job_progress(job=job, done=index, total=len(targets), message=f"Exported {model._meta.verbose_name_plural}")
    folder = Path(settings.MEDIA_ROOT) / "exports" / str(job.user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"stylus-export-{job.pk}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"user": job.user.get_username(), "data": data}, cls=DjangoJSONEncoder, indent=1))
    tmp.replace(path)
    common_services.job_finish(job=job, message=f"{sum(len(v) for v in data.values())} rows exported.",
                               result={"path": str(path.relative_to(settings.MEDIA_ROOT))})


# -- the Spotify login (allauth) ---------------------------------------------------------------
# A token this close to expiry is refreshed first, so it cannot run out in the middle of a job.
SPOTIFY_TOKEN_MARGIN = dt.timedelta(minutes=2)


def spotify_token_for(*, user) -> str | None:
    """The user's Spotify access token from their allauth login, or None without a usable login.

    Spotify's access tokens last an hour; an expired one is renewed with the stored refresh token
    (allauth keeps it as token_secret), so a login keeps working until the user revokes it.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from allauth.socialaccount.models import SocialToken

    token = SocialToken.objects.filter(account__user=user, account__provider="spotify").order_by("-id").first()
    if token is None:
        return None
    if not token.expires_at or token.expires_at > timezone.now() + SPOTIFY_TOKEN_MARGIN:
        return token.token or None
    if not token.token_secret:
        return None
    return _spotify_token_refresh(token_id=token.pk)


@transaction.atomic
def _spotify_token_refresh(*, token_id: int) -> str | None:
    from allauth.socialaccount.models import SocialToken

    from integrations.errors import IntegrationError
    from integrations.spotify.client import SpotifyClient

    # The row lock makes concurrent requests of one user refresh once: Spotify may rotate the
    # refresh token, and a second refresh with the old one would fail.
    token = SocialToken.objects.select_for_update().get(pk=token_id)
    if token.expires_at and token.expires_at > timezone.now() + SPOTIFY_TOKEN_MARGIN:
        return token.token or None  # refreshed by another request while this one waited
    client = SpotifyClient()
    try:
        access, expires_in, rotated = client.refresh_user_token(token.token_secret)
    except IntegrationError as exc:
        log.info("spotify login of user %s could not be refreshed: %s", token.account.user_id, exc)
        return None
    finally:
        client.close()
    token.token = access
    token.expires_at = timezone.now() + dt.timedelta(seconds=expires_in)
    token.token_secret = rotated or token.token_secret
    token.save(update_fields=["token", "expires_at", "token_secret"])
    return access
