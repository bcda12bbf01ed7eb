"""Management commands: scrape_album, aoty_parse, import_aoty_csv, refresh_stale."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from albums.models import Album, SimilarAlbum
from tests.albums.conftest import ALBUM_PATH


def test_scrape_album_prints_stored_id_last(album_route, aoty, db):
    out = StringIO()

    call_command("scrape_album", f"{aoty.url}{ALBUM_PATH}", stdout=out, stderr=StringIO())

    album = Album.objects.get(aoty_id=900001)
    assert out.getvalue().strip().splitlines()[-1] == str(album.pk)
    assert album.tracks.count() == 3
    linked = [link.to_album for link in SimilarAlbum.objects.filter(from_album=album)]
    assert len(linked) == 3 and all(a.is_stub for a in linked)
    assert [r.path for r in aoty.requests if r.path.startswith("/album/")] == [ALBUM_PATH]  # similar albums not fetched


def test_scrape_album_accepts_aoty_id(album_route, db):
    out = StringIO()
    call_command("scrape_album", ALBUM_PATH, stdout=StringIO(), stderr=StringIO())

    call_command("scrape_album", "900001", stdout=out, stderr=StringIO())

    assert out.getvalue().strip().splitlines()[-1] == str(Album.objects.get(aoty_id=900001).pk)


def test_scrape_album_blocked_fails_cleanly(aoty, aoty_data, db):
    aoty.add(ALBUM_PATH, file=aoty_data / "challenge.html", status=403, content_type="text/html")

    with pytest.raises(CommandError, match="AotyBlocked"):
        call_command("scrape_album", ALBUM_PATH, stdout=StringIO(), stderr=StringIO())
    assert not Album.objects.exists()


def test_scrape_album_rejects_non_album_url(db):
    with pytest.raises(CommandError):
        call_command("scrape_album", "https://www.albumoftheyear.org/releases/", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("kind, name, key, expected", [
    ("album", "album_small.html", "title", "Night Ferry"),
    ("search", "search_small.html", "query", "night ferry"),
    ("grid", "grid_small.html", "title", "New Album Releases"),
    ("list", "list_small.html", "title", "Harbour Weekly's Top 2 Albums of 2024"),
    ("user", "user_profile.html", "username", "vinylmole"),
])
def test_aoty_parse_prints_json(aoty_data, kind, name, key, expected):
    out = StringIO()

    call_command("aoty_parse", kind, str(aoty_data / name), stdout=out)

    assert json.loads(out.getvalue())[key] == expected


def test_aoty_parse_reports_unrecognised_page(aoty_data):
    with pytest.raises(CommandError, match="Not recognised"):
        call_command("aoty_parse", "album", str(aoty_data / "grid_small.html"), stdout=StringIO())


def test_import_aoty_csv_command(aoty_data, db):
    out = StringIO()

    call_command("import_aoty_csv", str(aoty_data / "top_albums_small.csv"), stdout=out, stderr=StringIO())

    assert "2 created" in out.getvalue() and Album.objects.count() == 2


def test_refresh_stale_command_reports(stored_album, db):
    out = StringIO()

    call_command("refresh_stale", stdout=out, stderr=StringIO())

    assert "of 0 stale albums" in out.getvalue()


def test_periodic_refresh_task_is_registered(db):
    from django_celery_beat.models import PeriodicTask

    from albums.apps import REFRESH_TASK_NAME

    task = PeriodicTask.objects.get(name=REFRESH_TASK_NAME)
    assert task.task == "albums.tasks.refresh_stale_albums_task" and task.interval.every == 1


def test_demo_load_is_idempotent_and_offline(db, owner, staff, aoty):
    from albums import demo
    from users_aoty import demo as users_demo
    from users_aoty.models import AotyUser

    for _ in range(2):
        demo.load(user=owner, staff=staff, stdout=StringIO())
        users_demo.load(user=owner, staff=staff, stdout=StringIO())

    assert Album.objects.count() == len(demo.ALBUMS)
    assert Album.objects.get(aoty_id=29250).tracks.count() == 8
    assert AotyUser.objects.get(username="vinylmole").favorites.count() == 3
    assert aoty.requests == []


def test_scrape_album_fetches_a_non_aoty_absolute_url_as_given(album_route, aoty, settings, db):
    settings.AOTY_BASE_URL = "http://127.0.0.1:9"  # nothing listens here: only the given URL may be used
    out = StringIO()

    call_command("scrape_album", f"{aoty.url}{ALBUM_PATH}", stdout=out, stderr=StringIO())

    assert out.getvalue().strip().splitlines()[-1] == str(Album.objects.get(aoty_id=900001).pk)
    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_scrape_album_maps_aoty_urls_onto_the_base_url(album_route, aoty, db):
    call_command("scrape_album", f"https://www.albumoftheyear.org{ALBUM_PATH}", stdout=StringIO(), stderr=StringIO())

    assert len(aoty.requests_to(ALBUM_PATH)) == 1


@pytest.mark.shared_fixtures
def test_aoty_parse_list_reads_ranked_list_and_year_index(real_aoty):
    ranked, index = StringIO(), StringIO()

    call_command("aoty_parse", "list", str(real_aoty / "list_the-needle-drop-top-50-albums-2025.html"), stdout=ranked)
    call_command("aoty_parse", "list", str(real_aoty / "lists_year_end_2022.html"), stdout=index)

    assert len(json.loads(ranked.getvalue())["entries"]) == 50
    assert json.loads(index.getvalue())["title"] == "2022 Music Year End Lists"


def test_demo_unload_removes_exactly_the_demo_rows(db, owner, staff, stored_album):
    from albums import demo
    from albums.models import Artist, DiscoveryList
    from users_aoty import demo as users_demo
    from users_aoty.models import AotyUser

    real_albums = set(Album.objects.values_list("pk", flat=True))
    real_artists = set(Artist.objects.values_list("pk", flat=True))
    demo.load(user=owner, staff=staff, stdout=StringIO())
    users_demo.load(user=owner, staff=staff, stdout=StringIO())
    assert Album.objects.filter(is_demo=True).count() == len(demo.ALBUMS)

    users_demo.unload(stdout=StringIO())
    demo.unload(stdout=StringIO())

    assert set(Album.objects.values_list("pk", flat=True)) == real_albums  # the scraped album and its stubs stay
    assert set(Artist.objects.values_list("pk", flat=True)) == real_artists
    assert not DiscoveryList.objects.exists() and not AotyUser.objects.exists()


def test_demo_album_scraped_for_real_survives_unload(db, owner, staff, aoty, aoty_data):
    from albums import demo, services

    demo.load(user=owner, staff=staff, stdout=StringIO())
    html = (aoty_data / "album_small.html").read_text().replace("900001", "29250")
    aoty.add("/album/29250-harbour-lights-night-ferry.php", body=html, content_type="text/html")
    services.album_scrape(url="/album/29250-harbour-lights-night-ferry.php")

    demo.unload(stdout=StringIO())

    assert list(Album.objects.filter(aoty_id__in=[r[0] for r in demo.ALBUMS]).values_list("aoty_id", flat=True)) == [29250]
