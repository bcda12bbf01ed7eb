"""Issue 12 (security 8): the data export masks every credential, including ones nested in a JSON column.
A browser push subscription's keys (its `auth` secret encrypts every notification to that browser) are
never shown by the API, so the export must not carry them in the clear either."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from accounts import services

pytestmark = pytest.mark.django_db

AUTH_SECRET = "tBHItJI5svbpez7KI4CCXg"
P256DH = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
ENDPOINT = "https://push.example.net/send/abc123"


def test_user_data_export_masks_push_subscription_keys(owner, django_capture_on_commit_callbacks):
    from digger.models import AlertChannel

    AlertChannel.objects.create(user=owner, kind="push", url=ENDPOINT,
                                subscription={"endpoint": ENDPOINT, "keys": {"p256dh": P256DH, "auth": AUTH_SECRET}})
    with django_capture_on_commit_callbacks(execute=True):
        job = services.user_data_export_start(user=owner)
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    text = (Path(settings.MEDIA_ROOT) / job.result["path"]).read_text()

    assert AUTH_SECRET not in text and P256DH not in text
    (channel,) = json.loads(text)["data"]["digger.AlertChannel"]
    keys = channel["subscription"]["keys"]
    assert keys == {"p256dh": "••••••••" + P256DH[-4:], "auth": "••••••••" + AUTH_SECRET[-4:]}  # as common.crypto.mask shows
    assert channel["subscription"]["endpoint"] == ENDPOINT == channel["url"]  # what the API shows stays as it is


def test_user_data_export_keeps_the_users_own_keys_that_are_not_credentials(owner, django_capture_on_commit_callbacks):
    """Whole words decide: a listen's catalogue_track_key and match_key are the user's data, not secrets."""
    import datetime as dt

    from django.utils import timezone

    from listening import services as listening

    listen = listening.listen_record(user=owner, listened_at=timezone.now() - dt.timedelta(hours=1),
                                     track_title="Scarlet Begonias", artist_name="The Stylus Band", source="web")
    listen.catalogue_track_key = "catalogue-track-4242"
    listen.save(update_fields=["catalogue_track_key"])
    with django_capture_on_commit_callbacks(execute=True):
        job = services.user_data_export_start(user=owner)
    job.refresh_from_db()
    (row,) = json.loads((Path(settings.MEDIA_ROOT) / job.result["path"]).read_text())["data"]["listening.Listen"]
    assert row["catalogue_track_key"] == "catalogue-track-4242"
    assert row["match_key"] == listen.match_key and "•" not in row["match_key"]
