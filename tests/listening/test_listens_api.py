"""/api/v1/listens: list, record, delete, stats; and the player's queue and now-playing operations."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import services
from listening.models import Listen, ListeningProfile

pytestmark = pytest.mark.django_db


def _listen(user, *, minutes_ago: int = 10, title: str = "Bertha", artist: str = "The Stylus Band", **kw) -> Listen:
    return services.listen_record(user=user, listened_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
                                  track_title=title, artist_name=artist, source=kw.pop("source", "web"), **kw)


def test_listens_list_shows_only_own_listens_newest_first(client, owner, outsider, owner_api):
    _listen(owner, minutes_ago=30, title="Older")
    _listen(owner, minutes_ago=5, title="Newer")
    _listen(outsider, title="Not mine")
    response = client.get("/api/v1/listens", **owner_api)
    assert response.status_code == 200
    assert [x["track_title"] for x in response.json()["items"]] == ["Newer", "Older"]


def test_listens_list_filters_by_date_range(client, owner, owner_api):
    _listen(owner, minutes_ago=60 * 24 * 3, title="Three days ago")
    _listen(owner, minutes_ago=5, title="Today")
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = client.get("/api/v1/listens", {"since": since}, **owner_api)
    assert [x["track_title"] for x in response.json()["items"]] == ["Today"]


def test_listens_list_needs_authentication(client):
    assert client.get("/api/v1/listens").status_code == 401


def test_listens_create_records_a_web_play(client, owner, owner_api):
    response = client.post("/api/v1/listens", {"track_title": "Bertha", "artist_name": "The Stylus Band",
                                               "duration_seconds": 300, "seconds_played": 150,
                                               "recording_identifier": "sb1977", "filename": "d1t01.flac"},
                           content_type="application/json", **owner_api)
    assert response.status_code == 201, response.content
    listen = Listen.objects.get(user=owner)
    assert (listen.source, listen.seconds_played, listen.recording_identifier) == ("web", 150, "sb1977")


def test_listens_create_refuses_a_web_play_below_the_threshold(client, owner, owner_api):
    response = client.post("/api/v1/listens", {"track_title": "Bertha", "artist_name": "Band", "duration_seconds": 600,
                                               "seconds_played": 100}, content_type="application/json", **owner_api)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "seconds_played"
    assert not Listen.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"track_title": "x" * 1001, "artist_name": "A"}, "track_title"),
    ({"track_title": "T", "artist_name": ""}, "artist_name"),
    ({"track_title": "T", "artist_name": "A", "duration_seconds": 100000}, "duration_seconds"),
    ({"track_title": "T", "artist_name": "A", "source": "subsonic"}, "source"),
    ({"track_title": "T", "artist_name": "A", "listened_at": "1999-01-01T00:00:00Z"}, "listened_at"),
])
def test_listens_create_answers_422_naming_the_field(client, owner_api, payload, field):
    response = client.post("/api/v1/listens", payload, content_type="application/json", **owner_api)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_listens_delete_removes_own_listen(client, owner, owner_api):
    listen = _listen(owner)
    assert client.delete(f"/api/v1/listens/{listen.pk}", **owner_api).status_code == 204
    assert not Listen.objects.exists()


def test_listens_delete_of_another_users_listen_is_404(client, owner, outsider_api):
    listen = _listen(owner)
    assert client.delete(f"/api/v1/listens/{listen.pk}", **outsider_api).status_code == 404
    assert Listen.objects.filter(pk=listen.pk).exists()


def test_listens_stats_counts_top_artists_hours_and_weekdays(client, owner, outsider, owner_api):
    base = timezone.now().replace(hour=21, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    for i in range(3):
        services.listen_record(user=owner, listened_at=base - dt.timedelta(minutes=i * 5), track_title=f"T{i}",
                               artist_name="The Stylus Band", source="web", seconds_played=100)
    services.listen_record(user=owner, listened_at=base, track_title="Other", artist_name="Phonograph Jam", source="web",
                           recording_identifier="pj2004", release_name="Red Rocks", seconds_played=50)
    _listen(outsider, artist="Outsider Band")
    response = client.get("/api/v1/listens/stats", {"range": "week"}, **owner_api)
    assert response.status_code == 200
    stats = response.json()
    assert stats["plays"] == 4
    assert stats["listening_seconds"] == 350
    assert stats["top_artists"][0] == {"name": "The Stylus Band", "plays": 3, "artist": None, "identifier": None}
    assert stats["by_hour"][20] + stats["by_hour"][21] == 4
    weekday = base.strftime("%a")
    assert {d["day"]: d["plays"] for d in stats["by_weekday"]}[weekday] >= 2
    assert stats["top_shows"][0]["identifier"] == "pj2004"
    assert "Outsider Band" not in str(stats)


def test_listens_stats_sees_a_new_listen_at_once(client, owner, owner_api):
    assert client.get("/api/v1/listens/stats?range=all", **owner_api).json()["plays"] == 0
    _listen(owner)
    assert client.get("/api/v1/listens/stats?range=all", **owner_api).json()["plays"] == 1


def test_listens_stats_refuses_an_unknown_range(client, owner_api):
    response = client.get("/api/v1/listens/stats?range=decade", **owner_api)
    assert response.status_code == 422


def test_queue_put_then_get_round_trips_for_the_user_only(client, owner, outsider_api, owner_api):
    queue = {"items": [{"identifier": "sb1977", "file": "d1t01.flac", "title": "Bertha", "artist": "Band", "album": "",
                        "url": "/archive/files/1/", "duration": 300}], "index": 0, "position": 42}
    assert client.put("/api/v1/listening/queue", queue, content_type="application/json", **owner_api).status_code == 204
    assert client.get("/api/v1/listening/queue", **owner_api).json()["items"][0]["title"] == "Bertha"
    assert client.get("/api/v1/listening/queue", **outsider_api).json()["items"] == []
    assert ListeningProfile.objects.get(user=owner).queue["position"] == 42


def test_queue_put_refuses_oversized_queues(client, owner_api):
    queue = {"items": [{"title": "x"}] * 2001, "index": 0, "position": 0}
    assert client.put("/api/v1/listening/queue", queue, content_type="application/json", **owner_api).status_code == 422


def test_now_playing_post_then_list(client, owner_api):
    response = client.post("/api/v1/listening/now-playing", {"track_title": "Bertha", "artist_name": "Band"},
                           content_type="application/json", **owner_api)
    assert response.status_code == 204
    assert [r["title"] for r in client.get("/api/v1/listening/now-playing", **owner_api).json()] == ["Bertha"]


def test_player_tracks_rejects_a_malformed_identifier(client):
    assert client.get("/api/v1/listening/tracks/bad%20id%3F").status_code == 422


def test_now_playing_list_hides_private_listeners_from_an_outsider(client, owner, outsider, owner_api, outsider_api):
    services.now_playing_set(user=owner, track_title="Bertha", artist_name="Band", source="web")
    assert client.get("/api/v1/listening/now-playing", **outsider_api).json() == []
    assert [r["username"] for r in client.get("/api/v1/listening/now-playing", **owner_api).json()] == ["owner"]
    services.profile_update(user=owner, history_public=True)
    assert [r["title"] for r in client.get("/api/v1/listening/now-playing", **outsider_api).json()] == ["Bertha"]
