"""Album pages: discovery, search as you type, album page with review tabs and notices, home card, global search."""
from __future__ import annotations

from django.utils import timezone

from albums import selectors
from albums.models import Album
from common.selectors import home_cards
from tests.albums.conftest import ALBUM_PATH, STATS, html_route


def test_album_detail_page_shows_album(client, stored_album):
    response = client.get(f"/albums/{stored_album.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Night Ferry" in html and "Harbour Lights" in html
    assert "Departures" in html and "Mara Vale" in html  # tracklist with featured artist
    assert "The Line of Best Fit" in html  # critic reviews tab is the default
    assert "everything is alive" in html  # similar albums grid
    assert "https://open.spotify.com/album/abc123" in html  # stream link
    assert "blocking" not in html


def test_album_detail_tab_partial_for_htmx(client, stored_album):
    response = client.get(f"/albums/{stored_album.pk}/?tab=users", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Tidepool" in html and "The closer made me miss my stop." in html
    assert "The Line of Best Fit" not in html


def test_album_detail_blocked_shows_stored_data_with_notice(client, stored_album, aoty, aoty_data):
    aoty.reset()
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)
    old = timezone.now() - timezone.timedelta(days=10)
    Album.objects.filter(pk=stored_album.pk).update(fetched_at=old)
    from django.core.cache import cache
    cache.clear()

    from albums import services
    services.album_serve(album_id=stored_album.pk, refresh=True)  # AOTY refuses: the block is remembered
    response = client.get(f"/albums/{stored_album.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "AOTY is blocking automated access right now, showing data from" in html
    assert old.strftime("%Y") in html and "Night Ferry" in html


def test_album_detail_stub_blocked_shows_clear_message_not_500(client, aoty, aoty_data, db):
    stub = Album.objects.create(aoty_id=900002, slug="slowdive-everything-is-alive", title="everything is alive")
    html_route(aoty, "/album/900002-slowdive-everything-is-alive.php", aoty_data / "challenge.html", status=403)

    response = client.get(f"/albums/{stub.pk}/")

    assert response.status_code == 503
    assert "AOTY is blocking automated access right now" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_album_detail_unknown_is_404(client, db):
    assert client.get("/albums/424242/").status_code == 404


def test_album_refresh_shows_live_indicator_until_done(client, stored_album, settings):
    from albums import services

    services.refresh_enqueue.__globals__["cache"].add(f"aoty:refreshing:album:{stored_album.pk}", 1, timeout=60)
    running = client.get(f"/albums/{stored_album.pk}/refresh/status/", HTTP_HX_REQUEST="true")
    services.refresh_enqueue.__globals__["cache"].delete(f"aoty:refreshing:album:{stored_album.pk}")
    done = client.get(f"/albums/{stored_album.pk}/refresh/status/", HTTP_HX_REQUEST="true")

    assert running.status_code == 200 and "Refreshing from AOTY" in running.content.decode()
    assert 'hx-trigger="every 2s"' in running.content.decode()
    assert done.status_code == 286 and "Refreshed." in done.content.decode()


def test_album_refresh_post_queues_background_refresh(owner_client, stored_album, aoty, django_capture_on_commit_callbacks):
    from django.core.cache import cache
    cache.clear()
    aoty.requests.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/albums/{stored_album.pk}/refresh/")

    assert response.status_code == 302
    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_album_refresh_requires_post(owner_client, stored_album):
    assert owner_client.get(f"/albums/{stored_album.pk}/refresh/").status_code == 405


def test_album_refresh_requires_login(client, stored_album, aoty):
    aoty.requests.clear()

    response = client.post(f"/albums/{stored_album.pk}/refresh/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert aoty.requests == []
    assert "Refresh now" not in client.get(f"/albums/{stored_album.pk}/").content.decode()


def test_discover_page_shows_grid_with_paging(client, aoty, aoty_data, db):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")

    response = client.get("/albums/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Night Ferry" in html and "Static Bloom" in html
    assert 'href="?page=2"' in html


def test_discover_page_partial_for_htmx(client, aoty, aoty_data, db):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")

    response = client.get("/albums/discover/releases/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.content.decode() and "Static Bloom" in response.content.decode()


def test_discover_page_blocked_with_nothing_stored_says_so(client, aoty, aoty_data, db):
    aoty.add("/upcoming/", file=aoty_data / "challenge.html", status=403, content_type="text/html")

    response = client.get("/albums/discover/upcoming/")

    assert response.status_code == 503
    assert "nothing is stored" in response.content.decode().lower()


def test_search_as_you_type_returns_stored_matches_without_reaching_aoty(client, stored_album, aoty):
    aoty.requests.clear()

    response = client.get("/albums/search/?q=night", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Night Ferry" in html
    assert aoty.requests == []


def test_search_remote_asks_aoty(client, aoty, aoty_data, db):
    aoty.add("/search/", file=aoty_data / "search_small.html", content_type="text/html")

    response = client.get("/albums/search/?q=night+ferry&remote=1")

    assert response.status_code == 200
    assert "Night Ferry (Edit)" in response.content.decode()
    assert len(aoty.requests_to("/search/")) == 1


def test_search_remote_is_limited_per_client_and_shares_the_api_budget(client, stored_album, aoty, aoty_data,
                                                                        fresh_rate_window):
    aoty.add("/search/", file=aoty_data / "search_small.html", content_type="text/html")

    api = [client.get(f"/api/v1/albums/{stored_album.pk}").status_code for _ in range(29)]
    thirtieth = client.get("/albums/search/?q=night+ferry&remote=1")
    limited = client.get("/albums/search/?q=night+ferry&remote=1")
    keystroke = client.get("/albums/search/?q=night+ferry", HTTP_HX_REQUEST="true")  # stored data only: never limited

    assert api == [200] * 29 and thirtieth.status_code == 200  # one budget of 30 a minute, pages and API
    # At least the rest of this window; the sliding estimate may ask for part of the next one too.
    assert limited.status_code == 429 and 59 <= int(limited["Retry-After"]) <= 120
    assert "Too many requests" in limited.content.decode()
    assert len(aoty.requests_to("/search/")) == 1  # the limited search never reached AOTY
    assert keystroke.status_code == 200 and "Night Ferry" in keystroke.content.decode()


def test_artist_page_lists_albums(client, stored_album):
    artist = stored_album.artists.get()

    response = client.get(f"/albums/artists/{artist.pk}/")

    assert response.status_code == 200 and "Night Ferry" in response.content.decode()


def test_home_card_shows_new_releases(client, aoty, aoty_data, owner):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")
    client.get("/albums/")

    cards = {c["name"]: c for c in home_cards(user=owner)}

    assert cards["albums"]["title"] == "New releases from AOTY"
    assert [e.album.title for e in cards["albums"]["entries"]] == ["Night Ferry", "Static Bloom"]
    assert "Static Bloom" in client.get("/").content.decode()


def test_global_search_finds_albums_and_artists(stored_album, owner):
    results = selectors.global_search(user=owner, query="harbour")

    kinds = {(r["kind"], r["title"]) for r in results}
    assert ("album", "Night Ferry") in kinds and ("artist", "Harbour Lights") in kinds
    assert all(r["url"].startswith("/albums/") for r in results)
    assert selectors.global_search(user=owner, query="") == []


def test_album_get_selector_for_cross_links(stored_album):
    assert selectors.album_get(album_id=stored_album.pk).title == "Night Ferry"
    assert selectors.album_get(album_id=999999) is None


def test_album_extras_view_returns_partial_for_htmx(client, stored_album, fragments):
    response = client.get(f"/albums/{stored_album.pk}/extras/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "1,034" in html and "June Okafor" in html


def test_album_extras_view_blocked_says_so_without_500(client, stored_album, aoty, aoty_data):
    html_route(aoty, STATS, aoty_data / "challenge.html", method="POST", status=403)

    response = client.get(f"/albums/{stored_album.pk}/extras/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "blocking automated access" in response.content.decode()
