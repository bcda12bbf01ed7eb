"""Collection and want-list sync from Discogs: paging, incremental stop, re-flagging, errors, digests."""
from __future__ import annotations

import pytest
from django.core import mail

from common.models import Job
from common.services import job_create
from digger import services
from digger.models import CollectionItem, DiggerProfile, Notification
from tests.digger.factories import ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db
COLLECTION = "/users/digger/collection/folders/0/releases"
WANTS = "/users/digger/wants"


def add_routes(replay, data):
    replay.add(COLLECTION, query={"page": "1"}, file=data / "collection_p1.json")
    replay.add(COLLECTION, query={"page": "2"}, file=data / "collection_p2.json")
    replay.add(WANTS, query={"page": "1"}, file=data / "wants_p1.json")


def test_sync_pages_through_both_lists_and_flags_listings(configured_owner, digger_replay, discogs_data,
                                                          django_capture_on_commit_callbacks):
    add_routes(digger_replay, discogs_data)
    listing = ListingFactory(search=SavedSearchFactory(user=configured_owner), release_id=372000)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.collection_sync_request(user=configured_owner)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result == {"collection": 3, "want": 2, "removed": 0}
    items = CollectionItem.objects.filter(user=configured_owner)
    assert set(items.filter(kind="collection").values_list("release_id", flat=True)) == {1018055, 2370027, 2749755}
    assert items.get(release_id=2749755).artist == "Bridget Hayden"  # the "(2)" suffix is dropped
    assert items.get(release_id=372000, kind="want").catno == "SFLP 4"
    listing.refresh_from_db()
    assert listing.in_wantlist and listing.match_method == "release_id"
    assert digger_replay.requests_to(COLLECTION)[0].param("sort") == "added"


def test_second_sync_stops_at_known_items(configured_owner, digger_replay, discogs_data):
    add_routes(digger_replay, discogs_data)
    first = job_create(user=configured_owner, kind="digger.sync", label="sync")
    services.collection_sync_run(job_id=first.pk)
    digger_replay.requests.clear()
    second = job_create(user=configured_owner, kind="digger.sync", label="sync")
    job = services.collection_sync_run(job_id=second.pk)
    assert job.result == {"collection": 0, "want": 0, "removed": 0}
    assert [r.param("page") for r in digger_replay.requests_to(COLLECTION)] == ["1"]  # page 2 is known


def test_full_sync_removes_items_gone_from_discogs(configured_owner, digger_replay, discogs_data):
    add_routes(digger_replay, discogs_data)
    CollectionItem.objects.create(user=configured_owner, kind="want", release_id=42, title="Sold to me elsewhere")
    job = job_create(user=configured_owner, kind="digger.sync", label="sync")
    job = services.collection_sync_run(job_id=job.pk, full=True)
    assert job.result["removed"] == 1 and not CollectionItem.objects.filter(release_id=42).exists()


def test_sync_with_rejected_token_fails_and_notifies(configured_owner, digger_replay, shared_fixtures):
    digger_replay.add(COLLECTION, status=401, file=shared_fixtures / "discogs/error_invalid_consumer_token.json")
    job = job_create(user=configured_owner, kind="digger.sync", label="sync")
    job = services.collection_sync_run(job_id=job.pk)
    assert job.status == Job.Status.FAILED and job.message == "Discogs rejected the token"
    assert Notification.objects.filter(user=configured_owner, kind="error").exists()
    assert len(digger_replay.requests_to(COLLECTION)) == 1


def test_sync_without_username_is_a_clear_failure(owner, digger_replay):
    services.credentials_update(user=owner, discogs_token="tok-123456789")
    job = job_create(user=owner, kind="digger.sync", label="sync")
    job = services.collection_sync_run(job_id=job.pk)
    assert job.status == Job.Status.FAILED and "username" in job.message
    assert digger_replay.requests == []


def test_daily_digest_emails_unsent_notifications_once(owner):
    services.credentials_update(user=owner, email_digest="daily")
    services.notification_create(user=owner, message="2 new want-list matches for “x”")
    assert services.digests_send_daily() == 1
    assert len(mail.outbox) == 1 and "2 new want-list matches" in mail.outbox[0].body
    assert services.digests_send_daily() == 0
    assert DiggerProfile.objects.get(user=owner).digest_sent_at is not None
