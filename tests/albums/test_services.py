"""Album services: storing scraped pages, the cache in front of the scraper, stale-while-revalidate, blocks,
and the album's two side requests (stats and credits)."""
from __future__ import annotations

import time

import pytest
from django.utils import timezone

from albums import services
from albums.models import Album, AlbumGenre, DiscoveryList, ScrapeLog, SimilarAlbum
from common.exceptions import NotFound, ServiceUnavailable
from integrations.aoty.errors import AotyParseError
from tests.albums.conftest import ALBUM_PATH, CREDITS, REAL_ALBUM, REAL_ALBUM_PATH, STATS, html_route


def _age(album: Album, days: int) -> None:
    old = timezone.now() - timezone.timedelta(days=days)
    Album.objects.filter(pk=album.pk).update(fetched_at=old, similar_fetched_at=old)


def test_album_scrape_stores_album_tracks_reviews_and_similar_stubs(stored_album):
    album = Album.objects.get(pk=stored_album.pk)

    assert (album.aoty_id, album.title, album.artist_name) == (900001, "Night Ferry", "Harbour Lights")
    assert (album.critic_score, album.critic_count, album.user_score, album.user_count) == (81, 4, 78, 1207)
    assert album.must_hear and album.fetched_at is not None
    assert [t.title for t in album.tracks.all()] == ["Departures", "Foghorn", "Arrivals"]
    assert album.critic_reviews.count() == 4 and album.user_reviews.count() == 2
    assert list(AlbumGenre.objects.filter(album=album, primary=True).values_list("genre__name", flat=True)) == ["Dream Pop", "Shoegaze"]
    similar = [link.to_album for link in SimilarAlbum.objects.filter(from_album=album)]
    assert [s.title for s in similar] == ["everything is alive", "Once Twice Melody", "Heaven or Las Vegas"]
    assert all(s.is_stub for s in similar)
    assert Album.objects.filter(aoty_id=900010, fetched_at__isnull=True).exists()  # "More Albums" as a stub
    log = ScrapeLog.objects.get()
    assert (log.kind, log.status, log.fetcher) == ("album", "ok", "http")


def test_album_scrape_twice_updates_in_place(album_route, db):
    first = services.album_scrape(url=ALBUM_PATH)
    second = services.album_scrape(url=ALBUM_PATH, refresh=True)

    assert first.pk == second.pk
    assert Album.objects.filter(aoty_id=900001).count() == 1
    assert second.tracks.count() == 3 and SimilarAlbum.objects.filter(from_album=second).count() == 3


def test_album_scrape_second_call_hits_cache_and_refresh_bypasses_it(album_route, aoty, db):
    services.album_scrape(url=ALBUM_PATH)
    services.album_scrape(url=ALBUM_PATH)
    assert len(aoty.requests_to(ALBUM_PATH)) == 1

    services.album_scrape(url=ALBUM_PATH, refresh=True)
    assert len(aoty.requests_to(ALBUM_PATH)) == 2


def test_album_scrape_cache_falls_back_to_memory_when_redis_is_down(album_route, aoty, db, monkeypatch):
    from common.cache import FallbackCache

    dead_redis = FallbackCache("redis://127.0.0.1:1/0", {"TIMEOUT": 300, "OPTIONS": {"retry_after": 30}})
    monkeypatch.setattr(services.kernel, "cache", dead_redis)

    services.album_scrape(url=ALBUM_PATH)
    services.album_scrape(url=ALBUM_PATH)

    assert dead_redis.status == "memory-fallback"
    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_album_scrape_with_parse_error_stores_nothing(aoty, db):
    aoty.add(ALBUM_PATH, body="<html><body><h1>Maintenance</h1></body></html>", content_type="text/html")

    with pytest.raises(AotyParseError):
        services.album_scrape(url=ALBUM_PATH)

    assert not Album.objects.exists()
    assert ScrapeLog.objects.get().status == "parse_error"


def test_album_scrape_real_page_stores_17_tracks_and_6_similar(aoty, real_aoty, db):
    html_route(aoty, REAL_ALBUM_PATH, real_aoty / REAL_ALBUM)

    album = services.album_scrape(url=f"https://www.albumoftheyear.org{REAL_ALBUM_PATH}")

    assert album.title == "Don't Be Dumb" and album.tracks.count() == 17
    assert album.critic_reviews.count() == 17 and album.user_reviews.count() == 6
    assert SimilarAlbum.objects.filter(from_album=album).count() == 6


def test_album_serve_fresh_album_makes_no_request(stored_album, aoty):
    aoty.requests.clear()

    served = services.album_serve(album_id=stored_album.pk)

    assert served.obj.pk == stored_album.pk and not served.stale and not served.refreshing
    assert aoty.requests_to(ALBUM_PATH) == []


def test_album_serve_stale_album_serves_stored_and_refreshes_in_background(
        stored_album, aoty, django_capture_on_commit_callbacks):
    _age(stored_album, days=8)
    aoty.requests.clear()
    from django.core.cache import cache
    cache.clear()  # drop the parsed-page cache so the refresh really fetches

    with django_capture_on_commit_callbacks(execute=True):
        served = services.album_serve(album_id=stored_album.pk)

    assert served.stale and served.refreshing
    assert served.obj.fetched_at < timezone.now() - timezone.timedelta(days=7)  # stored data served at once
    assert len(aoty.requests_to(ALBUM_PATH)) == 1  # the (eager) background task fetched it
    stored_album.refresh_from_db()
    assert stored_album.fetched_at > timezone.now() - timezone.timedelta(minutes=1)
    assert not services.is_refreshing(kind="album", object_id=stored_album.pk)


def test_album_serve_refresh_true_forces_a_fetch(stored_album, aoty):
    aoty.requests.clear()

    services.album_serve(album_id=stored_album.pk, refresh=True)

    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_album_serve_blocked_with_stored_data_serves_it_with_notice(stored_album, aoty, aoty_data):
    aoty.reset()
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)

    served = services.album_serve(album_id=stored_album.pk, refresh=True)

    assert served.obj.pk == stored_album.pk and served.stale
    assert served.blocked is not None and served.blocked["until"] > timezone.now()


def test_album_serve_stub_blocked_raises_service_unavailable(aoty, aoty_data, db):
    html_route(aoty, "/album/900002-slowdive-everything-is-alive.php", aoty_data / "challenge.html", status=403)
    stub = Album.objects.create(aoty_id=900002, slug="slowdive-everything-is-alive", title="everything is alive",
                                url="https://www.albumoftheyear.org/album/900002-slowdive-everything-is-alive.php")

    with pytest.raises(ServiceUnavailable) as info:
        services.album_serve(album_id=stub.pk)

    assert info.value.retry_after > 0


def test_album_lookup_finds_album_through_search_then_serves_stored(aoty, aoty_data, db):
    aoty.add("/search/albums/", query={"q": "harbour lights night ferry"}, file=aoty_data / "search_small.html",
             content_type="text/html")
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    served = services.album_lookup(artist="Harbour Lights", album="Night Ferry")
    again = services.album_lookup(artist="harbour lights", album="night ferry")

    assert served.obj.aoty_id == 900001 and not served.obj.is_stub
    assert again.obj.pk == served.obj.pk
    assert len(aoty.requests_to("/search/albums/")) == 1 and len(aoty.requests_to(ALBUM_PATH)) == 1


def test_album_lookup_without_match_is_not_found_at_once(aoty, aoty_data, db):
    aoty.add("/search/albums/", file=aoty_data / "search_empty.html", content_type="text/html")

    started = time.monotonic()
    with pytest.raises(NotFound):
        services.album_lookup(artist="Nobody", album="Zzqx")

    assert time.monotonic() - started < 2
    assert len(aoty.requests_to("/search/albums/")) == 2  # "artist album", then the title alone; nothing else


def test_album_search_merges_stored_and_remote_and_logs_the_query(aoty, aoty_data, owner):
    from common.models import SearchLog

    aoty.add("/search/", file=aoty_data / "search_small.html", content_type="text/html")

    outcome = services.album_search(query="night ferry", user=owner)

    assert [a.aoty_id for a in outcome.albums] == [900001, 900006]
    assert [a.name for a in outcome.artists] == ["Harbour Lights"]
    assert outcome.remote
    log = SearchLog.objects.get()
    assert (log.section, log.query, log.user) == ("albums", "night ferry", owner)


def test_album_search_blocked_returns_stored_matches_with_reason(stored_album, aoty, aoty_data):
    aoty.add("/search/", file=aoty_data / "challenge.html", status=403, content_type="text/html")

    outcome = services.album_search(query="night ferry")

    assert [a.pk for a in outcome.albums] == [stored_album.pk]
    assert outcome.blocked is not None and not outcome.remote


def test_discovery_serve_fetches_grid_once_then_serves_stored(aoty, aoty_data, db):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")

    first = services.discovery_serve(key="releases")
    second = services.discovery_serve(key="releases")

    assert first.obj.pk == second.obj.pk and first.obj.has_more
    assert [e.album.aoty_id for e in first.obj.entries.all()] == [900001, 900005]
    assert len(aoty.requests_to("/releases/")) == 1


def test_discovery_serve_unknown_list_is_not_found(db):
    with pytest.raises(NotFound):
        services.discovery_serve(key="nonsense")


def test_publication_list_fetch_stores_ranked_entries(aoty, aoty_data, db):
    path = "/list/4001-harbour-weeklys-top-2-albums-of-2024/"
    aoty.add(path, file=aoty_data / "list_small.html", content_type="text/html")

    dlist = services.publication_list_fetch(path=path)

    assert (dlist.key, dlist.kind) == ("list/4001", DiscoveryList.Kind.RANKED)
    assert [(e.rank, e.album.title) for e in dlist.entries.all()] == [(2, "Static Bloom"), (1, "Night Ferry")]


def test_refresh_stale_refreshes_most_viewed_stale_albums(stored_album, aoty):
    _age(stored_album, days=30)
    Album.objects.filter(pk=stored_album.pk).update(view_count=5)
    from django.core.cache import cache
    cache.clear()
    aoty.requests.clear()

    result = services.refresh_stale(limit=5)

    assert result == {"candidates": 1, "refreshed": 1, "failed": 0}
    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_import_aoty_csv_loads_stubs_and_skips_bad_rows(aoty_data, db):
    result = services.import_aoty_csv(path=aoty_data / "top_albums_small.csv")
    again = services.import_aoty_csv(path=aoty_data / "top_albums_small.csv")

    assert result == {"rows": 3, "created": 2, "updated": 0, "skipped": 1}
    assert again["created"] == 0 and again["updated"] == 2
    album = Album.objects.get(aoty_id=900001)
    assert (album.title, album.artist_name, album.user_score, album.user_count, album.year) == (
        "Night Ferry", "Harbour Lights", 78, 1207, 2024)
    assert album.is_stub


@pytest.mark.shared_fixtures
def test_import_aoty_csv_loads_the_real_top_5000(real_aoty, db):
    result = services.import_aoty_csv(path=real_aoty / "dataset_aoty_top5000_user_rated_albums.csv")

    assert result["rows"] == 5000 and result["created"] + result["updated"] + result["skipped"] == 5000
    tpab = Album.objects.get(aoty_id=29250)
    assert (tpab.title, tpab.artist_name, tpab.user_score, tpab.user_count) == ("To Pimp a Butterfly", "Kendrick Lamar", 95, 28594)


def test_refresh_stale_task_runs_once_at_a_time(stored_album, aoty):
    from albums.tasks import refresh_stale_albums_task
    from common.locks import exclusive

    _age(stored_album, days=30)
    with exclusive("albums.refresh_stale", ttl=60) as mine:
        assert mine
        skipped = refresh_stale_albums_task.apply().get()
    ran = refresh_stale_albums_task.apply().get()

    assert skipped == {"skipped": True}
    assert ran["candidates"] == 1 and ran["refreshed"] == 1


def test_refresh_stale_stops_while_aoty_blocks_us(stored_album, aoty, aoty_data):
    _age(stored_album, days=30)
    from django.core.cache import cache
    cache.clear()
    aoty.reset()
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)

    result = services.refresh_stale(limit=5)

    assert result["refreshed"] == 0 and result["failed"] == 1
    stored_album.refresh_from_db()
    assert stored_album.tracks.count() == 3  # stored data untouched


def test_statistics_provider_counts_albums_and_scrapes(stored_album):
    from common.selectors import staff_statistics

    figures = staff_statistics()["sections"]["albums"]

    assert figures["albums_fetched"] == 1 and figures["albums"] == 1 + 3 + 1  # the album, its similar and "more" stubs
    assert figures["scrapes_24h_by_status"] == {"ok": 1}


def test_album_extras_fetch_posts_album_id_and_stores_stats_and_credits(stored_album, fragments):
    album = services.album_extras_fetch(album_id=stored_album.pk)

    assert album.stats == {"favorites": 12, "likes": 1034, "listens": 5210, "in_library": 640, "lists": 88}
    assert list(album.credits) == ["Performers", "Production & Engineering"]
    assert album.credits["Production & Engineering"][0] == {"name": "June Okafor", "roles": ["Producer", "Mixing Engineer"],
                                                           "aoty_id": 77010}
    for path in (STATS, CREDITS):
        request = fragments.requests_to(path, method="POST")[0]
        assert request.body == b"albumID=900001"
        assert request.headers["X-Requested-With"] == "XMLHttpRequest"


@pytest.mark.shared_fixtures
def test_album_extras_fetch_reads_real_fragments(stored_album, aoty, real_aoty):
    aoty.add(STATS, method="POST", file=real_aoty / "scripts_moreStatsAlbum_564912_response.html", content_type="text/html")
    aoty.add(CREDITS, method="POST", file=real_aoty / "scripts_showAlbumCredits_564912_response.html", content_type="text/html")

    album = services.album_extras_fetch(album_id=stored_album.pk)

    assert album.stats["listens"] == 21437
    assert len(album.credits["Performers"]) == 31


def test_album_extras_serve_keeps_fresh_extras_without_requests(stored_album, fragments):
    services.album_extras_serve(album_id=stored_album.pk)
    fragments.requests.clear()

    served = services.album_extras_serve(album_id=stored_album.pk)

    assert served.obj.stats["likes"] == 1034 and fragments.requests == []


def test_album_extras_serve_blocked_with_nothing_stored_is_unavailable(stored_album, aoty, aoty_data):
    html_route(aoty, STATS, aoty_data / "challenge.html", method="POST", status=403)

    with pytest.raises(ServiceUnavailable):
        services.album_extras_serve(album_id=stored_album.pk)
