"""The songs API: the original TrackFlow acceptance behaviour, validation and bulk operations."""
from __future__ import annotations

import json

import pytest

from tracks.models import Song, SongStep, Status

pytestmark = pytest.mark.django_db

SONGS = "/api/v1/tracks/songs"


def post(client, url, body, auth):
    return client.post(url, data=json.dumps(body), content_type="application/json", **auth)


def patch(client, url, body, auth):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **auth)


def test_song_create_registered_user_gets_song_echoed(client, password):
    signup = client.post("/accounts/signup/", {"username": "newbie", "email": "newbie@example.com",
                                               "password1": password, "password2": password})
    assert signup.status_code == 302
    token = client.post("/api/v1/auth/token", data=json.dumps({"username": "newbie", "password": password}),
                        content_type="application/json").json()["access"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    response = post(client, SONGS, {"title": "Everlong", "artist": "Foo Fighters", "album": "The Colour and the Shape",
                                    "year": 1997, "priority": 2}, auth)

    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["artist"], body["album"], body["year"], body["priority"]) == (
        "Everlong", "Foo Fighters", "The Colour and the Shape", 1997, 2)
    assert body["status"] == "Future Plans" and body["owner"] == "newbie"
    assert client.get(f"{SONGS}/{body['id']}", **auth).json()["title"] == "Everlong"


def test_song_delete_then_get_is_404(client, owner_api, make_song):
    song = make_song("Gone", "Band")

    assert client.delete(f"{SONGS}/{song.pk}", **owner_api).status_code == 204
    assert client.get(f"{SONGS}/{song.pk}", **owner_api).status_code == 404
    assert not Song.objects.filter(pk=song.pk).exists()


def test_song_batch_create_returns_both_in_order(client, owner_api):
    response = post(client, f"{SONGS}/batch", {"songs": [{"title": "B side", "artist": "Zed"},
                                                         {"title": "A side", "artist": "Abba"}]}, owner_api)

    assert response.status_code == 201
    assert [s["title"] for s in response.json()] == ["B side", "A side"]
    assert Song.objects.count() == 2


def test_song_batch_create_with_one_duplicate_creates_nothing(client, owner_api, make_song):
    make_song("Taken", "Band")

    response = post(client, f"{SONGS}/batch", {"songs": [{"title": "Fresh", "artist": "Band"},
                                                         {"title": "taken", "artist": "band"}]}, owner_api)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "songs.1.title"]
    assert list(Song.objects.values_list("title", flat=True)) == ["Taken"]


def test_song_future_plans_has_no_steps(client, owner_api):
    body = post(client, SONGS, {"title": "Someday", "artist": "Band"}, owner_api).json()

    assert body["steps"] == [] and body["steps_total"] == 0
    assert not SongStep.objects.filter(song_id=body["id"]).exists()


def test_song_started_gets_default_fifteen_steps_and_percentage(client, owner_api, make_song):
    song = make_song("Now", "Band")

    body = patch(client, f"{SONGS}/{song.pk}", {"status": "In Progress"}, owner_api).json()
    assert [s["name"] for s in body["steps"]][:3] == ["Stems (demucs)", "MIDI", "Tempo map"]
    assert len(body["steps"]) == 15 and body["progress"] == 0

    first, second = body["steps"][0]["step_id"], body["steps"][1]["step_id"]
    client.put(f"{SONGS}/{song.pk}/steps/{first}", data='{"done": true}', content_type="application/json", **owner_api)
    body = client.put(f"{SONGS}/{song.pk}/steps/{second}", data='{"done": true}', content_type="application/json",
                      **owner_api).json()
    assert body["steps_done"] == 2 and body["progress"] == 13  # 2/15


def test_song_back_to_future_plans_drops_steps(client, owner_api, make_song):
    song = make_song("Flip", "Band", status="In Progress")
    assert SongStep.objects.filter(song=song).count() == 15

    patch(client, f"{SONGS}/{song.pk}", {"status": "Future Plans"}, owner_api)

    assert SongStep.objects.filter(song=song).count() == 0


@pytest.mark.parametrize("body, field", [
    ({"title": "X", "artist": "Y", "status": "Done"}, "status"),
    ({"title": "X", "artist": "Y", "priority": 0}, "priority"),
    ({"title": "X", "artist": "Y", "priority": 6}, "priority"),
    ({"title": "", "artist": "Y"}, "title"),
])
def test_song_create_invalid_field_is_422_with_field(client, owner_api, body, field):
    response = post(client, SONGS, body, owner_api)

    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]
    assert not Song.objects.exists()


def test_song_create_duplicate_is_422_on_title(client, owner_api, make_song):
    make_song("Same", "Band")

    response = post(client, SONGS, {"title": "Same", "artist": "Band"}, owner_api)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


def test_song_same_title_for_another_owner_is_fine(client, outsider_api, make_song):
    make_song("Same", "Band")

    assert post(client, SONGS, {"title": "Same", "artist": "Band"}, outsider_api).status_code == 201


@pytest.mark.parametrize("value", ["", "TBD", "2024-02-31", "   "])
def test_song_garbage_release_date_is_stored_as_null(client, owner_api, value):
    response = post(client, SONGS, {"title": "Dated", "artist": "Band", "release_date": value}, owner_api)

    assert response.status_code == 201
    assert response.json()["release_date"] is None
    assert Song.objects.get().release_date is None


def test_song_release_date_iso_is_kept(client, owner_api):
    response = post(client, SONGS, {"title": "Dated", "artist": "Band", "release_date": "2023-05-06"}, owner_api)

    assert response.json()["release_date"] == "2023-05-06"


def test_song_list_filters_by_status_artist_and_search(client, owner_api, make_song):
    make_song("Alpha", "One", status="In Progress")
    make_song("Beta", "One")
    make_song("Gamma", "Two", status="Released")

    def titles(query):
        return sorted(s["title"] for s in client.get(f"{SONGS}?{query}", **owner_api).json()["items"])

    assert titles("status=In%20Progress") == ["Alpha"]
    assert titles("artist=one") == ["Alpha", "Beta"]
    assert titles("search=amm") == ["Gamma"]
    assert client.get(f"{SONGS}?status=Nope", **owner_api).status_code == 422


def test_song_list_is_paginated(client, owner_api, make_song):
    for i in range(25):
        make_song(f"S{i:02d}", "Band")

    body = client.get(f"{SONGS}?page=2&page_size=10", **owner_api).json()

    assert body["count"] == 25 and len(body["items"]) == 10


def test_song_bulk_delete_is_atomic(client, owner_api, make_song, outsider):
    mine = make_song("Mine", "Band")
    theirs = make_song("Theirs", "Band", user=outsider)

    response = post(client, f"{SONGS}/bulk-delete", {"ids": [mine.pk, theirs.pk]}, owner_api)

    assert response.status_code == 404
    assert Song.objects.count() == 2
    assert post(client, f"{SONGS}/bulk-delete", {"ids": [mine.pk]}, owner_api).json() == {"count": 1}


def test_song_bulk_status_moves_all_and_creates_steps(client, owner_api, make_song):
    a, b = make_song("A", "Band"), make_song("B", "Band")

    response = post(client, f"{SONGS}/bulk-status", {"ids": [a.pk, b.pk], "status": "In Progress"}, owner_api)

    assert response.json() == {"count": 2}
    assert set(Song.objects.values_list("status", flat=True)) == {Status.IN_PROGRESS}
    assert SongStep.objects.count() == 30


def test_song_bulk_pack_adds_to_own_pack_only(client, owner_api, make_song, make_pack, outsider):
    song = make_song("A", "Band")
    pack = make_pack("Mine")
    foreign = make_pack("Theirs", user=outsider)

    assert post(client, f"{SONGS}/bulk-pack", {"ids": [song.pk], "pack_id": foreign.pk}, owner_api).status_code == 422
    assert post(client, f"{SONGS}/bulk-pack", {"ids": [song.pk], "pack_id": pack.pk}, owner_api).json() == {"count": 1}
    song.refresh_from_db()
    assert song.pack == pack


def test_song_released_stamps_release_date(client, owner_api, make_song):
    song = make_song("Out", "Band")

    body = patch(client, f"{SONGS}/{song.pk}", {"status": "Released"}, owner_api).json()

    assert body["release_date"] is not None and body["progress"] == 100


def test_song_step_on_future_plans_song_is_422(client, owner_api, make_song, owner):
    from tracks.services import workflow_ensure

    step = workflow_ensure(user=owner)[0]
    song = make_song("Later", "Band")

    response = client.put(f"{SONGS}/{song.pk}/steps/{step.pk}", data='{"done": true}', content_type="application/json",
                          **owner_api)

    assert response.status_code == 422


def test_song_api_requires_authentication(client):
    assert client.get(SONGS).status_code == 401


def test_song_search_is_logged_for_top_queries(client, owner_api, owner):
    from common.models import SearchLog

    client.get(f"{SONGS}?search=Everlong", **owner_api)

    assert list(SearchLog.objects.values_list("section", "query", "user")) == [("tracks", "Everlong", owner.pk)]
