"""The song list runs a constant number of queries, whatever the number of songs, steps and packs."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracks import services
from tracks.models import Pack, Song, SongStep, Status

pytestmark = pytest.mark.django_db
STATUSES = [Status.FUTURE, Status.IN_PROGRESS, Status.RELEASED]


def seed(user, *, songs: int, packs: int) -> None:
    """Bulk rows: songs in every status spread over packs, with full checklists on started songs."""
    steps = services.workflow_ensure(user=user)
    Pack.objects.bulk_create([Pack(owner=user, name=f"Pack {i}", priority=i % 5 + 1) for i in range(packs)])
    pack_ids = list(Pack.objects.filter(owner=user).values_list("id", flat=True))
    Song.objects.bulk_create([
        Song(owner=user, title=f"Song {i}", artist=f"Artist {i % 300}", status=STATUSES[i % 3], priority=i % 5 + 1,
             pack_id=pack_ids[i % len(pack_ids)] if pack_ids and i % 2 else None)
        for i in range(songs)], batch_size=2000)
    started = Song.objects.filter(owner=user, status=Status.IN_PROGRESS).values_list("id", flat=True)
    SongStep.objects.bulk_create([SongStep(song_id=sid, step=step, done=(sid + step.position) % 3 == 0)
                                  for sid in started for step in steps], batch_size=5000)


def count_queries(fn) -> int:
    """Queries one request makes (run once to learn the count with a handful of rows)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_song_list_queries_constant_with_10000_songs(client, owner_client, owner, owner_api,
                                                     django_assert_max_num_queries):
    """One 10,000-song seed (it is the slow part) checks the page, a filtered page and the API."""
    seed(owner, songs=10, packs=2)
    small_page = count_queries(lambda: owner_client.get("/tracks/songs/?sort=artist"))
    small_api = count_queries(lambda: client.get("/api/v1/tracks/songs?page_size=100", **owner_api))
    Song.objects.all().delete()
    Pack.objects.all().delete()
    seed(owner, songs=10_000, packs=200)

    with django_assert_max_num_queries(small_page):
        response = owner_client.get("/tracks/songs/?sort=artist")
    assert response.status_code == 200
    html = response.content.decode()
    assert "10000 songs" in html and html.count('class="song-row') == 50
    assert html.count('class="checklist-toggle" hx-get=') > 0

    pack = Song.objects.filter(owner=owner, status=Status.IN_PROGRESS, pack__isnull=False).first().pack
    with django_assert_max_num_queries(small_page + 1):  # + the search log row
        response = owner_client.get(f"/tracks/songs/?status=In+Progress&pack={pack.pk}&q=Song&sort=progress")
    assert response.status_code == 200 and 'class="song-row song-row--in-progress' in response.content.decode()

    with django_assert_max_num_queries(small_api):
        response = client.get("/api/v1/tracks/songs?page_size=100", **owner_api)
    body = response.json()
    assert body["count"] == 10_000 and len(body["items"]) == 100
    started = [s for s in body["items"] if s["status"] == "In Progress"]
    assert started and all(s["steps_total"] == 15 for s in started)
