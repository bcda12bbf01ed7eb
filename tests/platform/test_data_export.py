"""The "export my data" file: everything of the owner's, and no credential in the clear."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from accounts import services

pytestmark = pytest.mark.django_db

EBAY_ID = "MyCompany-Stylus-PRD-1234567890-abcdef12"
EBAY_SECRET = "PRD-secret-0123456789abcdef"
DISCOGS_TOKEN = "discogsTokenValue0123456789"


def _export(owner, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        job = services.user_data_export_start(user=owner)
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    return (Path(settings.MEDIA_ROOT) / job.result["path"]).read_text()


def test_user_data_export_masks_every_credential(owner, django_capture_on_commit_callbacks):
    from digger.models import DiggerProfile

    DiggerProfile.objects.create(user=owner, discogs_username="owner-on-discogs", discogs_token=DISCOGS_TOKEN,
                                 ebay_client_id=EBAY_ID, ebay_client_secret=EBAY_SECRET)
    text = _export(owner, django_capture_on_commit_callbacks)
    for secret in (EBAY_ID, EBAY_SECRET, DISCOGS_TOKEN):
        assert secret not in text
    profile = json.loads(text)["data"]["digger.DiggerProfile"][0]
    assert profile["ebay_client_id"] == "••••••••" + EBAY_ID[-4:]  # as the API shows it (common.crypto.mask)
    assert profile["discogs_username"] == "owner-on-discogs"  # ordinary fields are exported as they are


def test_user_data_export_writes_every_row_of_a_long_history(owner, outsider, django_capture_on_commit_callbacks):
    """More rows than one read chunk, and none of another user's: the export is streamed, never capped."""
    import datetime as dt

    from django.utils import timezone

    from listening.models import Listen
    from listening.services import dedupe_key_for

    start = timezone.now() - dt.timedelta(days=30)
    times = [start + dt.timedelta(minutes=i) for i in range(4500)]
    Listen.objects.bulk_create([Listen(user=owner, listened_at=at, track_title=f"T{i}", artist_name="A", source="import",
                                       dedupe_key=dedupe_key_for(listened_at=at, track_title=f"T{i}", artist_name="A"))
                                for i, at in enumerate(times)])
    Listen.objects.create(user=outsider, listened_at=start, track_title="Not mine", artist_name="B", source="web",
                          dedupe_key="not-mine")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.user_data_export_start(user=owner)
    job.refresh_from_db()
    exported = json.loads((Path(settings.MEDIA_ROOT) / job.result["path"]).read_text())["data"]["listening.Listen"]
    assert len(exported) == 4500 and {r["track_title"] for r in exported} == {f"T{i}" for i in range(4500)}
