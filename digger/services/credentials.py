"""Credentials and preferences: stored encrypted, tested against the service, rotated."""
from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from common import crypto
from common.exceptions import InvalidInput
from common.fields import UndecryptableSecret
from common.types import AuthUser
from integrations.discogs.client import DiscogsClient
from integrations.discogs.errors import TokenRejected
from integrations.ebay.client import EbayClient
from integrations.ebay.errors import CredentialsRejected
from integrations.errors import IntegrationError, NotConfigured

from ..models import (
    DiggerProfile,
    Location,
)

SECRET_FIELDS = ("discogs_token", "ebay_client_id", "ebay_client_secret")



def profile_get_or_create(*, user: AuthUser) -> DiggerProfile:
    profile, _ = DiggerProfile.objects.get_or_create(user=user)
    return profile


def credentials_update(*, user: AuthUser, discogs_username: str | None = None, discogs_token: str | None = None,
                       ebay_client_id: str | None = None, ebay_client_secret: str | None = None,
                       email_digest: str | None = None, preferred_location: str | None = None,
                       clear: list[str] | None = None) -> DiggerProfile:
    """Sets the given credentials (None or blank keeps the stored value; `clear` names ones to remove)."""
    profile = profile_get_or_create(user=user)
    changed: list[str] = []
    if discogs_username is not None and discogs_username.strip() != profile.discogs_username:
        username = discogs_username.strip()
        if username and not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", username):
            raise InvalidInput("Discogs usernames contain only letters, digits, '.', '-' and '_'.", field="discogs_username")
        profile.discogs_username = username
        changed.append("discogs_username")
    for name, value in (("discogs_token", discogs_token), ("ebay_client_id", ebay_client_id),
                        ("ebay_client_secret", ebay_client_secret)):
        if value is not None and value.strip():
            if len(value.strip()) > 500:
                raise InvalidInput("That value is too long.", field=name)
            setattr(profile, name, value.strip())
            changed.append(name)
    for name in clear or []:
        if name in SECRET_FIELDS:
            setattr(profile, name, "")
            changed.append(name)
    if any(n.startswith("discogs") for n in changed):
        profile.discogs_checked_at, profile.discogs_check_ok, profile.discogs_check_message = None, None, ""
        changed += ["discogs_checked_at", "discogs_check_ok", "discogs_check_message"]
    if any(n.startswith("ebay") for n in changed):
        profile.ebay_checked_at, profile.ebay_check_ok, profile.ebay_check_message = None, None, ""
        changed += ["ebay_checked_at", "ebay_check_ok", "ebay_check_message"]
    if email_digest is not None:
        if email_digest not in DiggerProfile.Digest.values:
            raise InvalidInput("Choose off, per_run or daily.", field="email_digest")
        profile.email_digest = email_digest
        changed.append("email_digest")
    if preferred_location is not None:
        if preferred_location not in Location.values:
            raise InvalidInput("Choose any, US, EU or UK.", field="preferred_location")
        profile.preferred_location = preferred_location
        changed.append("preferred_location")
    if changed:
        # Undecryptable secrets read back as "" markers; only the fields changed here are written.
        profile.save(update_fields=[*set(changed), "updated_at"])
    return profile


def discogs_client_for(profile: DiggerProfile) -> DiscogsClient:
    """A client with the user's token; NotConfigured with a clear message when it is missing or unreadable."""
    if isinstance(profile.discogs_token, UndecryptableSecret):
        raise NotConfigured("Your Discogs token can no longer be decrypted: please re-enter it in Digger settings.",
                            service="discogs")
    if not profile.discogs_token:
        raise NotConfigured("Discogs is not configured: add your personal access token in Digger settings.",
                            service="discogs")
    return DiscogsClient(token=profile.discogs_token, username=profile.discogs_username)


def ebay_client_for(profile: DiggerProfile) -> EbayClient:
    if isinstance(profile.ebay_client_id, UndecryptableSecret) or isinstance(profile.ebay_client_secret, UndecryptableSecret):
        raise NotConfigured("Your eBay credentials can no longer be decrypted: please re-enter them in Digger settings.",
                            service="ebay")
    if not profile.ebay_client_id or not profile.ebay_client_secret:
        raise NotConfigured("eBay is not configured: add your application's client id and secret in Digger settings.",
                            service="ebay")
    return EbayClient(client_id=profile.ebay_client_id, client_secret=profile.ebay_client_secret)


def discogs_lookup(*, user: AuthUser, artist: str, title: str, limit: int = 5) -> dict[str, Any]:
    """Discogs masters and vinyl releases matching an artist and title, to pick a release id when a
    saved search starts from an album page ("Find on vinyl"). Never raises for upstream trouble:
    the form still works without the lookup, so the reason comes back as `error`."""
    artist, title = (artist or "").strip()[:200], (title or "").strip()[:200]
    result: dict[str, Any] = {"masters": [], "releases": [], "error": ""}
    if not (artist or title):
        return result
    try:
        client = discogs_client_for(profile_get_or_create(user=user))
        try:
            result["masters"] = client.search(type="master", artist=artist, release_title=title, per_page=limit).results[:limit]
            result["releases"] = client.search(type="release", artist=artist, release_title=title, format="Vinyl",
                                               per_page=limit).results[:limit]
        finally:
            client.close()
    except IntegrationError as exc:
        result["error"] = str(exc) if isinstance(exc, NotConfigured) else f"Discogs lookup unavailable right now ({exc})."
    return result


def credentials_test(*, user: AuthUser, service: str) -> tuple[bool, str]:
    """Calls the service with the stored credentials and records the outcome ("test connection")."""
    profile = profile_get_or_create(user=user)
    ok, message = False, ""
    try:
        if service == "discogs":
            client = discogs_client_for(profile)
            try:
                identity = client.identity()
            finally:
                client.close()
            ok = True
            message = f"Connected to Discogs as {identity.username}."
            if profile.discogs_username and identity.username.lower() != profile.discogs_username.lower():
                message += f" (The username you saved is {profile.discogs_username}.)"
        elif service == "ebay":
            ebay = ebay_client_for(profile)
            try:
                ebay.drop_token()
                ebay.token()
            finally:
                ebay.close()
            ok, message = True, "Connected to eBay: the application token was granted."
        else:
            raise InvalidInput("Unknown service.", field="service")
    except NotConfigured as exc:
        message = str(exc)
    except TokenRejected:
        message = "Discogs rejected the token. Check it and enter it again."
    except CredentialsRejected:
        message = "eBay rejected the client id or secret."
    except IntegrationError as exc:
        message = f"Could not reach {service}: {exc}"
    now = timezone.now()
    DiggerProfile.objects.filter(pk=profile.pk).update(**{
        f"{service}_checked_at": now, f"{service}_check_ok": ok, f"{service}_check_message": message[:300],
    })
    return ok, message


def credentials_rotate() -> dict[str, int]:
    """Re-encrypts every stored secret with the first FIELD_ENCRYPTION_KEYS key (common.crypto.rotate).

    Works on the raw ciphertext, so a value no key can decrypt is counted and left as it is
    (the user is asked to re-enter it) rather than being wiped.
    """
    table = DiggerProfile._meta.db_table
    rotated = undecryptable = 0
    columns = ", ".join(SECRET_FIELDS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {columns} FROM {table}")  # noqa: S608 - fixed identifiers
            rows = cursor.fetchall()
        for row in rows:
            pk, values = row[0], row[1:]
            updates = {}
            for name, value in zip(SECRET_FIELDS, values, strict=True):
                if not value:
                    continue
                try:
                    updates[name] = crypto.rotate(value)
                except crypto.DecryptionFailed:
                    undecryptable += 1
            if updates:
                sets = ", ".join(f"{name} = %s" for name in updates)
                with connection.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*updates.values(), pk])  # noqa: S608
                rotated += len(updates)
    return {"rotated": rotated, "undecryptable": undecryptable, "profiles": len(rows)}
