"""Workflow steps, packs and album series through the API."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tracks.models import Pack, SongStep, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"


def send(client, method, url, body, auth):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth)


def test_workflow_api_crud_and_reorder(client, owner_api, make_song):
    song = make_song("S", "A", status="In Progress")
    steps = client.get(f"{API}/workflow/steps", **owner_api).json()
    assert len(steps) == 15 and steps[0]["name"] == "Stems (demucs)"

    created = send(client, "post", f"{API}/workflow/steps", {"name": "Playtest", "position": 0}, owner_api)
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert client.get(f"{API}/workflow/steps", **owner_api).json()[0]["name"] == "Playtest"
    assert SongStep.objects.filter(song=song).count() == 16

    assert send(client, "post", f"{API}/workflow/steps", {"name": "playtest"}, owner_api).status_code == 422
    assert send(client, "patch", f"{API}/workflow/steps/{new_id}", {"name": "Play test"}, owner_api).json()["name"] == "Play test"

    ids = [s["id"] for s in client.get(f"{API}/workflow/steps", **owner_api).json()]
    reordered = send(client, "put", f"{API}/workflow/order", {"step_ids": ids[::-1]}, owner_api).json()
    assert [s["id"] for s in reordered] == ids[::-1]
    assert send(client, "put", f"{API}/workflow/order", {"step_ids": ids[:3]}, owner_api).status_code == 422

    assert client.delete(f"{API}/workflow/steps/{new_id}", **owner_api).status_code == 204
    assert SongStep.objects.filter(song=song).count() == 15
    assert len(client.post(f"{API}/workflow/reset", **owner_api).json()) == 15


def test_workflow_step_of_another_user_is_404(client, owner_api, outsider_api):
    step_id = client.get(f"{API}/workflow/steps", **owner_api).json()[0]["id"]

    assert send(client, "patch", f"{API}/workflow/steps/{step_id}", {"name": "Mine now"}, outsider_api).status_code == 404
    assert client.delete(f"{API}/workflow/steps/{step_id}", **outsider_api).status_code == 404


def test_pack_api_crud_validation_and_release(client, owner_api, make_song):
    created = send(client, "post", f"{API}/packs", {"name": "Drop", "priority": 2, "release_date": "",
                                                    "download_url": "https://example.com/d"}, owner_api)
    assert created.status_code == 201 and created.json()["release_date"] is None
    pack_id = created.json()["id"]
    assert send(client, "post", f"{API}/packs", {"name": "Bad", "priority": 9}, owner_api).status_code == 422
    assert send(client, "post", f"{API}/packs", {"name": "drop"}, owner_api).status_code == 422
    assert send(client, "patch", f"{API}/packs/{pack_id}", {"video_url": "javascript:alert(1)"}, owner_api).status_code == 422

    song = make_song("S", "A", pack_id=pack_id)
    released = send(client, "post", f"{API}/packs/{pack_id}/release", {"release_date": "2024-06-01"}, owner_api).json()

    assert released["status"] == "Released" and released["release_date"] == "2024-06-01"
    song.refresh_from_db()
    assert song.status == Status.RELEASED and song.release_date == dt.date(2024, 6, 1)
    assert client.get(f"{API}/packs?status=Released", **owner_api).json()["count"] == 1


def test_pack_delete_keeps_songs(client, owner_api, make_song, make_pack):
    pack = make_pack("Temp")
    song = make_song("S", "A", pack_id=pack.pk)

    assert client.delete(f"{API}/packs/{pack.pk}", **owner_api).status_code == 204

    song.refresh_from_db()
    assert song.pack_id is None and not Pack.objects.filter(pk=pack.pk).exists()


def test_album_series_api_create_duplicate_and_filter(client, owner_api):
    body = {"artist": "Radiohead", "album": "OK Computer", "year": 1997}
    first = send(client, "post", f"{API}/album-series", body, owner_api)
    assert first.status_code == 201 and first.json()["series_number"] == 1
    second = send(client, "post", f"{API}/album-series", {"artist": "Radiohead", "album": "Kid A"}, owner_api)
    assert second.json()["series_number"] == 2

    dup = send(client, "post", f"{API}/album-series", body, owner_api)
    assert dup.status_code == 422 and dup.json()["detail"][0]["loc"] == ["body", "album"]
    assert [s["album"] for s in client.get(f"{API}/album-series?search=kid", **owner_api).json()["items"]] == ["Kid A"]
