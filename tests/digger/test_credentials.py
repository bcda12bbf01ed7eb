"""Credentials: encrypted at rest, masked, rotatable, "please re-enter" when undecryptable, test connection."""
from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from common import crypto
from digger import selectors, services
from digger.models import DiggerProfile

pytestmark = pytest.mark.django_db


def raw_column(profile: DiggerProfile, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM digger_diggerprofile WHERE id = %s", [profile.pk])
        return cursor.fetchone()[0]


def test_secrets_are_encrypted_at_rest_and_read_back(configured_owner):
    profile = DiggerProfile.objects.get(user=configured_owner)
    stored = raw_column(profile, "discogs_token")
    assert "discogs-token" not in stored and stored.startswith("gAAAA")
    assert profile.discogs_token == "discogs-token-1234567890"
    assert crypto.decrypt(raw_column(profile, "ebay_client_secret")) == "ebay-cert-secret-0001"


def test_status_masks_secrets(configured_owner):
    status = selectors.credentials_status(user=configured_owner)
    assert status["discogs"]["status"] == "configured"
    assert status["discogs"]["token"].endswith("7890") and "discogs-token" not in status["discogs"]["token"]
    assert status["ebay"]["client_secret"].endswith("0001") and "cert" not in status["ebay"]["client_secret"]


def test_not_configured_state(owner):
    status = selectors.credentials_status(user=owner)
    assert status["discogs"]["status"] == "not_configured" and status["ebay"]["status"] == "not_configured"


def test_blank_keeps_and_clear_removes(configured_owner):
    services.credentials_update(user=configured_owner, discogs_token="", ebay_client_id=None)
    assert DiggerProfile.objects.get(user=configured_owner).discogs_token == "discogs-token-1234567890"
    services.credentials_update(user=configured_owner, clear=["discogs_token"])
    assert selectors.credentials_status(user=configured_owner)["discogs"]["status"] == "not_configured"


def test_rotation_re_encrypts_with_the_new_first_key(configured_owner, settings):
    profile = DiggerProfile.objects.get(user=configured_owner)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    before = raw_column(profile, "discogs_token")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out)
    assert "Rotated 3 secret(s) across 1 profile(s); 0 could not be decrypted" in out.getvalue()
    after = raw_column(profile, "discogs_token")
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()).decode() == "discogs-token-1234567890"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert DiggerProfile.objects.get(user=configured_owner).discogs_token == "discogs-token-1234567890"


def test_undecryptable_secret_asks_to_re_enter_and_rotation_leaves_it(configured_owner, settings, digger_replay):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # all old keys lost
    status = selectors.credentials_status(user=configured_owner)
    assert status["discogs"]["status"] == "reenter" and status["ebay"]["status"] == "reenter"
    result = services.credentials_rotate()
    assert result == {"rotated": 0, "undecryptable": 3, "profiles": 1}
    ok, message = services.credentials_test(user=configured_owner, service="discogs")
    assert not ok and "re-enter" in message
    assert digger_replay.requests == []
    services.credentials_update(user=configured_owner, discogs_token="fresh-token-000")
    assert selectors.credentials_status(user=configured_owner)["discogs"]["status"] == "configured"


def test_test_connection_discogs_ok_and_rejected(configured_owner, digger_replay, discogs_data, shared_fixtures):
    digger_replay.add("/oauth/identity", file=discogs_data / "identity.json", times=1)
    ok, message = services.credentials_test(user=configured_owner, service="discogs")
    assert ok and "example" in message
    assert digger_replay.requests_to("/oauth/identity")[0].headers["Authorization"] == "Discogs token=discogs-token-1234567890"
    digger_replay.add("/oauth/identity", status=401, file=shared_fixtures / "discogs/error_invalid_consumer_token.json")
    ok, message = services.credentials_test(user=configured_owner, service="discogs")
    assert not ok and message.startswith("Discogs rejected the token")
    profile = DiggerProfile.objects.get(user=configured_owner)
    assert profile.discogs_check_ok is False and profile.discogs_checked_at is not None


def test_test_connection_ebay(configured_owner, digger_replay, ebay_data):
    digger_replay.add("/identity/v1/oauth2/token", method="POST", file=ebay_data / "token.json")
    ok, message = services.credentials_test(user=configured_owner, service="ebay")
    assert ok and "token was granted" in message
