"""Account writes: personal tokens, JWT pairs, logins, and the "export my data" job."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import secrets
import time
from pathlib import Path
from typing import Any

import jwt
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from common import services as common_services
from common.api import AUTH_EPOCH_KEY
from common.crypto import mask
from common.exceptions import InvalidInput, TooManyRequests
from common.models import Job
from common.types import AnyUser, AuthUser

from .adapter import login_lockout_key
from .models import ApiToken, RefreshToken, TokenState

log = logging.getLogger(__name__)

TOKEN_PREFIX = "sty_"
_ALGORITHM = "HS256"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- revocation epoch --------------------------------------------------------------------------
def auth_epoch() -> int:
    """The shared revocation epoch: every cached credential remembers the epoch it was checked in."""
    return int(cache.get(AUTH_EPOCH_KEY) or 0)


def auth_epoch_bump() -> None:
    """Makes every process re-check its cached credentials on their next use (a revocation, a
    deactivation, a password change). Rare, so a global counter beats tracking who cached what."""
    cache.add(AUTH_EPOCH_KEY, 0, None)
    try:
        cache.incr(AUTH_EPOCH_KEY)
    except ValueError:  # evicted between add() and incr()
        cache.set(AUTH_EPOCH_KEY, 1, None)
    _token_local.clear()


# -- personal tokens ---------------------------------------------------------------------------
def api_token_create(*, user: AuthUser, name: str) -> tuple[ApiToken, str]:
    """Creates a personal token; returns the row and the plaintext, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Token name must be 1 to 100 characters.", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=plaintext[:10], token_hash=_hash(plaintext))
    return token, plaintext


def api_token_revoke(*, user: AuthUser, token_id: int) -> bool:
    """Revokes one of the user's own tokens; False if it is not theirs or already revoked."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        return False
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1
    key = _TOKEN_CACHE.format(token.token_hash)
    cache.delete(key)  # takes effect at once, not after the cache TTL
    auth_epoch_bump()  # and in every other process's memory, on its next request
    return revoked


# -- JWT pairs -----------------------------------------------------------------------------------
def _token_version(user: AuthUser, state_version: int) -> str:
    # Derived from the password hash as well as the stored counter, so a password change by any path
    # (allauth, the admin, manage.py changepassword) ends every token without a hook in each of them.
    return salted_hmac("accounts.jwt.version", f"{user.password}:{state_version}").hexdigest()[:16]


def _state_version(user: AuthUser) -> int:
    return TokenState.objects.filter(user=user).values_list("version", flat=True).first() or 0


def _jwt(payload: dict[str, Any], lifetime: dt.timedelta) -> str:
    now = timezone.now()
    payload = {**payload, "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())}
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=_ALGORITHM)


def jwt_pair_for(*, user: AuthUser, family: str | None = None) -> dict[str, str]:
    """An access token (JWT_ACCESS_MINUTES) and a single-use refresh token (JWT_REFRESH_DAYS).

    Both carry the user's token version; the refresh token is recorded, in its family (one per login).
    """
    version = _token_version(user, _state_version(user))
    lifetime = dt.timedelta(days=settings.JWT_REFRESH_DAYS)
    jti = secrets.token_hex(16)
    family = family or secrets.token_hex(16)
    RefreshToken.objects.create(user=user, jti=jti, family=family, expires_at=timezone.now() + lifetime)
    common = {"sub": str(user.pk), "ver": version}
    return {
        "access": _jwt({**common, "type": "access", "jti": secrets.token_hex(8)},
                       dt.timedelta(minutes=settings.JWT_ACCESS_MINUTES)),
        "refresh": _jwt({**common, "type": "refresh", "jti": jti, "fam": family}, lifetime),
    }


def _jwt_payload(token: str, *, kind: str) -> dict[str, Any] | None:
    try:
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[_ALGORITHM],
                             options={"require": ["exp", "sub", "type"]})
    except jwt.PyJWTError:
        return None
    return payload if payload.get("type") == kind else None


def _jwt_user(token: str, *, kind: str) -> AuthUser | None:
    payload = _jwt_payload(token, kind=kind)
    if payload is None:
        return None
    user = get_user_model().objects.filter(pk=payload["sub"], is_active=True).first()
    if user is None or payload.get("ver") != _token_version(user, _state_version(user)):
        return None  # issued before a password change or a "log out everywhere"
    return user


def _family_revoke(family: str) -> None:
    RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())


def jwt_refresh(*, refresh: str) -> dict[str, str] | None:
    """A new pair for a valid, unspent refresh token, which is spent by this call.

    Presenting a spent token revokes its family: either the client or a thief replayed it, and
    the server cannot tell which, so both lose the login. Access tokens are rejected here.
    """
    payload = _jwt_payload(refresh, kind="refresh")
    if payload is None or not payload.get("jti"):
        return None
    row = RefreshToken.objects.select_related("user").filter(jti=payload["jti"]).first()
    if row is None or row.revoked_at is not None or row.expires_at <= timezone.now():
        return None
    # The claim is one conditional UPDATE, so two racing uses of one token cannot both win.
    if RefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
        log.warning("spent refresh token of user %s presented again: revoking its family", row.user_id)
        _family_revoke(row.family)
        return None
    user = row.user
    if not user.is_active or payload.get("ver") != _token_version(user, _state_version(user)):
        _family_revoke(row.family)
        return None
    return jwt_pair_for(user=user, family=row.family)


def user_logout_everywhere(*, user: AuthUser) -> None:
    """Ends every session and JWT of the user (personal API tokens stay: each is revoked by name)."""
    from django.contrib.sessions.models import Session

    with transaction.atomic():
        state, _ = TokenState.objects.get_or_create(user=user)
        TokenState.objects.filter(pk=state.pk).update(version=F("version") + 1)
        RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # Sessions are signed blobs keyed by id, not by user: decode the live ones (a self-hosted
    # installation has few) and drop the user's.
    mine = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
            if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)]
    Session.objects.filter(pk__in=mine).delete()
    auth_epoch_bump()


# -- bearer tokens -------------------------------------------------------------------------------
_TOKEN_CACHE = "apitoken:{}"
_TOKEN_CACHE_SECONDS = 60
# A few seconds of per-process memory in front of the shared cache: a busy API client costs no
# extra round trip per request. Each entry remembers the revocation epoch it was checked in; the
# throttle's one round trip reads the current epoch, and a changed epoch sends the credential back
# through the shared cache and the database (common.api.BearerAuth), so a revocation anywhere is
# honoured on the very next request.
_TOKEN_LOCAL_SECONDS = 5.0
_token_local: dict[str, tuple[float, AuthUser, int]] = {}


def _remember_locally(key: str, user: AuthUser, epoch: int) -> None:
    if len(_token_local) > 10_000:  # bounded: drop everything rather than grow without limit
        _token_local.clear()
    _token_local[key] = (time.monotonic() + _TOKEN_LOCAL_SECONDS, user, epoch)


def bearer_token_remembered(*, token: str) -> tuple[AuthUser, int] | None:
    """(user, epoch it was checked in) from this process's memory, with no I/O; None when not fresh."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    local = _token_local.get(_TOKEN_CACHE.format(_hash(token)))
    if local is None or local[0] <= time.monotonic():
        return None
    return local[1], local[2]


def user_for_bearer_token(*, token: str) -> AuthUser | None:
    """The user behind a personal token or JWT access token, or None.

    A personal token's user is cached for a minute with the epoch it was checked in, so an API
    client costs no database query per request; a revocation or deactivation bumps the epoch, which
    makes every cached copy count as stale.
    """
    if not token.startswith(TOKEN_PREFIX):
        return _jwt_user(token, kind="access")
    key = _TOKEN_CACHE.format(_hash(token))
    found = cache.get_many([key, AUTH_EPOCH_KEY])  # one round trip for both
    epoch = int(found.get(AUTH_EPOCH_KEY) or 0)
    shared = found.get(key)
    if isinstance(shared, tuple) and shared[1] == epoch:
        _remember_locally(key, shared[0], epoch)
        return shared[0]
    row = ApiToken.objects.select_related("user").filter(token_hash=_hash(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        _token_local.pop(key, None)
        return None
    if row.last_used_at is None or timezone.now() - row.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())  # coarse, to spare writes
    cache.set(key, (row.user, epoch), _TOKEN_CACHE_SECONDS)
    _remember_locally(key, row.user, epoch)
    return row.user


# -- logins ----------------------------------------------------------------------------------------
def login_retry_after(*, request: HttpRequest, login: str) -> int:
    """Seconds until allauth's login_failed budget (per address and per account) has room again."""
    from allauth.core.internal import ratelimit as allauth_ratelimit

    now = time.time()
    wait = 1.0
    for rate in allauth_ratelimit.get_rates(app="allauth.account", action="login_failed"):
        key = allauth_ratelimit.get_cache_key(request, app="allauth.account", action="login_failed", rate=rate,
                                              key=login_lockout_key(login))
        history = sorted((t for t in cache.get(key, []) if t > now - rate.duration), reverse=True)
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait)


def user_authenticate(*, request: HttpRequest, username: str, password: str) -> AuthUser | None:
    """Checks a username (or email) and password against the same failed-login budget as the login form.

    Every attempt spends allauth's `login_failed` budget first (per address, and per account under its
    normalised username); a right password only gives back its own attempt. So a locked account stays
    locked for the right password too, until the window has passed: TooManyRequests with the wait.
    """
    from allauth.account.adapter import get_adapter

    User = get_user_model()
    login = (username or "").strip()
    if "@" in login:
        match = User.objects.filter(email__iexact=login).first()
        login = match.get_username() if match else login
    try:
        return get_adapter(request).authenticate(request, username=login, password=password or "")
    except ValidationError as exc:
        if getattr(exc, "code", None) != "too_many_login_attempts":
            raise
        raise TooManyRequests("Too many failed logins for this account or address; try again later.",
                              retry_after=login_retry_after(request=request, login=login)) from None


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


def user_data_export_start(*, user: AuthUser) -> Job:
    """Creates an export job and queues it after commit."""
    from accounts.tasks import export_user_data

    return common_services.job_start(user=user, kind="export", label="Export my data", task=export_user_data,
                                     total=len(_user_models()))


# Field names that hold a credential even when the field is not an EncryptedTextField: by whole words, so a
# catalogue_track_key or an artist_key (the user's own data) leaves as it is.
_CREDENTIAL_PARTS = {"token", "secret", "password", "keys", "p256dh"}
_CREDENTIAL_ENDINGS = ("api_key", "session_key", "client_id", "private_key")


def _is_credential_name(name: str) -> bool:
    name = name.lower()
    return name == "key" or name.endswith(_CREDENTIAL_ENDINGS) or bool(_CREDENTIAL_PARTS & set(name.split("_")))


def _credential_fields(model: type[models.Model]) -> set[str]:
    """The model's columns (attnames, as .values() names them) that hold a credential."""
    from common.fields import EncryptedTextField

    return {
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
        or (not field.is_relation and _is_credential_name(field.name))
    }


def _masked_json(value: Any, *, secret: bool = False) -> Any:
    # JSON columns nest credentials too (a push subscription's {"keys": {"p256dh", "auth"}}): every string
    # under a credential-named key is masked, whatever its depth.
    if isinstance(value, dict):
        return {k: _masked_json(v, secret=secret or _is_credential_name(str(k)))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v, secret=secret) for v in value]
    return mask(value) if secret and isinstance(value, str) and value else value


def _safe(row: dict, *, credentials: set[str]) -> dict:
    # Credentials leave masked the way the API shows them (common.crypto.mask: the last few
    # characters at most), so the owner can recognise which one is set without it leaking.
    return {k: ((mask(str(v)) if v else v) if k in credentials else _masked_json(v)) for k, v in row.items()}


def user_data_export(*, job_id: int) -> None:
    """Writes the user's rows from every section to MEDIA_ROOT/exports/<user>/ as JSON."""
    if not common_services.job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    with common_services.job_failure_guard(job=job):
        _export(job)


def _export(job: Job) -> None:
    user = job.user
    if user is None:  # a system job has no owner, hence no data to export
        common_services.job_finish(job=job, message="No user to export.")
        return
    targets = _user_models()
    folder = Path(settings.MEDIA_ROOT) / "exports" / str(user.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"stylus-export-{job.pk}.json"
    tmp = path.with_suffix(".tmp")
    exported = 0
    # Written row by row, every row: a history of hundreds of thousands of listens is the user's data too, and
    # holding it all in memory (or capping it) is what an export must not do.
    with tmp.open("w", encoding="utf-8") as out:
        out.write('{"user": ' + json.dumps(user.get_username()) + ', "data": {')
        for index, (model, field) in enumerate(targets, start=1):
            credentials = _credential_fields(model)
            out.write(("" if index == 1 else ", ") + json.dumps(model._meta.label) + ": [")
            rows = model._default_manager.filter(**{field: user}).order_by("pk").values().iterator(chunk_size=2000)
            for count, row in enumerate(rows):
                out.write(("" if count == 0 else ",\n") + json.dumps(_safe(row, credentials=credentials), cls=DjangoJSONEncoder))
                exported += 1
            out.write("]")
            common_services.job_progress(job=job, done=index, total=len(targets),
                                         message=f"Exported {model._meta.verbose_name_plural}")
        out.write("}}\n")
    tmp.replace(path)
    common_services.job_finish(job=job, message=f"{exported} rows exported.",
                               result={"path": str(path.relative_to(settings.MEDIA_ROOT))})


# -- the Spotify login (allauth) ---------------------------------------------------------------
# A token this close to expiry is refreshed first, so it cannot run out in the middle of a job.
SPOTIFY_TOKEN_MARGIN = dt.timedelta(minutes=2)


def spotify_token_for(*, user: AnyUser | None) -> str | None:
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
