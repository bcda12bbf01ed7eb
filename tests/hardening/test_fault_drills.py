"""Fault drills: every external service answering 429, 5xx, a timeout or a garbage body; the
database connection dropped mid-request. Never a 500, never partial rows, a clear message."""
from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.digger.fixtures import reset_limiter

pytestmark = pytest.mark.django_db
FAULTS = ["429", "500", "timeout", "garbage"]
OK_STATUSES = {404, 422, 429, 502, 503}


@pytest.fixture
def drill(replay, settings):
    """Short timeouts and one retry, so a timeout drill costs a second, not a minute."""
    settings.INTEGRATION_TIMEOUT = 0.4
    settings.INTEGRATION_MAX_RETRIES = 1
    settings.AOTY_TIMEOUT = 0.4
    settings.AOTY_FETCHER = "http"
    settings.AOTY_MIN_INTERVAL = 0.0
    for name in ("AOTY_BASE_URL", "IA_BASE_URL", "DISCOGS_API_URL", "DISCOGS_WEB_URL", "EBAY_API_URL", "SPOTIFY_ACCOUNTS_URL"):
        setattr(settings, name, replay.url)
    settings.SPOTIFY_API_URL = replay.url + "/v1"
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "id", "secret"
    settings.DISCOGS_RATE_LIMIT_AUTH = settings.DISCOGS_RATE_LIMIT_ANON = 10_000
    from integrations.aoty import fetcher

    fetcher.robots.reset()
    reset_limiter()
    yield replay
    fetcher.robots.reset()


def _fault(replay, path: str, fault: str, *, method: str = "GET") -> None:
    if fault == "garbage":
        replay.add(path, method=method, body=b"\x00<<not what you expected>>\xff", content_type="application/json")
    else:
        replay.add(path, method=method, fault=fault, retry_after=1)


def _assert_clean(response) -> dict:
    assert response.status_code in OK_STATUSES, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["detail"], str | list) and body["detail"]
    return body


@pytest.mark.parametrize("fault", FAULTS)
def test_aoty_fault_gives_clean_error_and_no_rows(drill, client, fault):
    from albums.models import Album

    drill.add("/robots.txt", body="User-agent: *\nAllow: /\n", content_type="text/plain")
    for path in ("/search/albums/", "/search/", "/album/1-x.php"):
        _fault(drill, path, fault)
    response = client.get("/api/v1/albums/lookup", {"artist": "Harbour Lights", "album": "Night Ferry"})
    _assert_clean(response)
    assert Album.objects.count() == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_internet_archive_fault_gives_clean_error_and_no_rows(drill, client, fault):
    from archive.models import ItemSnapshot

    _fault(drill, "/metadata/gd1977-05-08.sbd.miller.flac16", fault)
    _fault(drill, "/advancedsearch.php", fault)
    _assert_clean(client.get("/api/v1/archive/items/gd1977-05-08.sbd.miller.flac16"))
    _assert_clean(client.get("/api/v1/archive/search", {"q": "grateful dead"}))
    assert ItemSnapshot.objects.count() == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_spotify_fault_gives_clean_error_and_no_rows(drill, client, owner_api, fault):
    from recommend.models import Track

    drill.add("/api/token", method="POST", json_body={"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
    _fault(drill, "/v1/tracks/4uLU6hMCjMI75M1A2tKUQC", fault)
    before = Track.objects.count()
    response = client.post("/api/v1/recommend", data=json.dumps({"url": "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
                                                                  "limit": 5}), content_type="application/json", **owner_api)
    _assert_clean(response)
    assert Track.objects.count() == before


@pytest.mark.parametrize("fault", FAULTS)
def test_discogs_and_ebay_faults_fail_the_run_cleanly(drill, owner, fault):
    from digger import services
    from digger.models import Listing, SearchRun

    services.credentials_update(user=owner, discogs_username="digger", discogs_token="discogs-token-1234567890",
                                ebay_client_id="ebay-app-id-0001", ebay_client_secret="ebay-cert-secret-0001")
    search = services.search_create(user=owner, data={"name": "Fall", "artist": "The Fall", "platform": "both"})
    for path in ("/database/search", "/sell/list", "/buy/browse/v1/item_summary/search"):
        _fault(drill, path, fault)
    _fault(drill, "/identity/v1/oauth2/token", fault, method="POST")
    run = services.search_run_now(search=search)
    assert run.status in (SearchRun.Status.FAILED, getattr(SearchRun.Status, "PARTIAL", "partial")), run.status
    assert run.errors, "a failed run says why"
    assert Listing.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_database_connection_dropped_mid_request_gives_clean_page_then_recovers(owner_client, monkeypatch):
    """The connection dies under a request: the friendly 500 page (rendered without the database),
    then the next request reconnects and succeeds."""
    from django.db import OperationalError
    from django.db.backends import utils

    real_execute = utils.CursorWrapper.execute
    state = {"drop": True}

    def dropping(self, sql, params=None):
        if state["drop"] and "tracks_song" in sql:
            state["drop"] = False
            connection.close()  # the socket is gone
            raise OperationalError("server closed the connection unexpectedly")
        return real_execute(self, sql, params)

    monkeypatch.setattr(utils.CursorWrapper, "execute", dropping)
    owner_client.raise_request_exception = False
    broken = owner_client.get("/tracks/songs/")
    assert broken.status_code == 500
    assert b"The needle skipped" in broken.content
    assert owner_client.get("/tracks/songs/").status_code == 200


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler in the run can catch and tidy up."""


def test_worker_killed_mid_run_is_redone_with_no_duplicate_rows(owner, replay, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from digger import services
    from digger.models import Listing, SearchRun
    from tests.digger.fixtures import DATA, add_discogs_search_routes, add_ebay_routes

    for name in ("DISCOGS_API_URL", "DISCOGS_WEB_URL", "EBAY_API_URL"):
        setattr(settings, name, replay.url)
    settings.DISCOGS_RATE_LIMIT_AUTH = settings.DISCOGS_RATE_LIMIT_ANON = 10_000
    settings.DISCOGS_MARKETPLACE_SCRAPING = True
    reset_limiter()
    add_discogs_search_routes(replay, DATA / "discogs")
    add_ebay_routes(replay, DATA / "ebay")
    services.credentials_update(user=owner, discogs_username="digger", discogs_token="discogs-token-1234567890",
                                ebay_client_id="ebay-app-id-0001", ebay_client_secret="ebay-cert-secret-0001")
    search = services.search_create(user=owner, data={"name": "The Fall", "artist": "The Fall", "platform": "both",
                                                      "price_max": "100", "format": "Vinyl"})

    # The worker dies while storing, after Discogs was fetched: the run is left "running".
    real_store = services._store_platform

    def dying_store(**kwargs):
        real_store(**kwargs)
        raise WorkerKilled()

    monkeypatch.setattr(services, "_store_platform", dying_store)
    first = services.search_run_request(search=search, enqueue=False)
    with pytest.raises(WorkerKilled):
        services.search_run_execute(run_id=first.pk)
    monkeypatch.setattr(services, "_store_platform", real_store)
    assert SearchRun.objects.get(pk=first.pk).status == SearchRun.Status.RUNNING
    assert Listing.objects.filter(search=search).count() == 0  # the store is one transaction: nothing half-written

    # The redelivered task finds the run claimed and does not run it twice at once...
    assert services.search_run_execute(run_id=first.pk).status == SearchRun.Status.RUNNING
    # ...and once the run is past its time limit, the next scheduled run redoes the work.
    SearchRun.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    again = services.search_run_request(search=search, enqueue=False)
    assert SearchRun.objects.get(pk=first.pk).status == SearchRun.Status.FAILED
    done = services.search_run_execute(run_id=again.pk)
    assert done.status == SearchRun.Status.SUCCEEDED, done.errors
    clean = Listing.objects.filter(search=search).count()
    assert clean == done.found > 0
    assert services.search_run_execute(run_id=services.search_run_request(search=search, enqueue=False).pk).new == 0
    assert Listing.objects.filter(search=search).count() == clean  # no duplicate rows
