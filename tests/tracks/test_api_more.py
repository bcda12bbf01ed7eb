"""Workflow, packs, album series, uploads and profile through the API; the forgiving date parser."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tracks.conftest import png_bytes
from tracks.fields import safe_date, safe_datetime
from tracks.models import Pack, Song, SongStep, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"


def send(client, method, url, body, auth):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth)


@pytest.mark.parametrize("value, expected", [
    ("2024-03-01", dt.date(2024, 3, 1)), ("2024-03-01T10:00:00Z", dt.date(2024, 3, 1)), ("", None), ("  ", None),
    ("TBD", None), ("2024-13-01", None), ("2024-02-30", None), (None, None), (20240301, None),
    (dt.datetime(2024, 3, 1, 5, tzinfo=dt.UTC), dt.date(2024, 3, 1)),
])
def test_safe_date_forgives_bad_input(value, expected):
    assert safe_date(value) == expected


def test_safe_datetime_is_aware_or_none():
    assert safe_datetime("2024-03-01T10:00:00") == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert safe_datetime("2024-03-01") == dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert safe_datetime("yesterday") is None and safe_datetime("") is None


def test_model_field_stores_garbage_date_as_null(owner):
    song = Song.objects.create(owner=owner, title="T", artist="A", release_date="")
    song.refresh_from_db()
    assert song.release_date is None

    Song.objects.filter(pk=song.pk).update(release_date="not-a-date")
    song.refresh_from_db()
    assert song.release_date is None


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


def test_song_cover_upload_api_validates_type_and_size(client, owner_api, make_song, settings):
    song = make_song("S", "A")
    bad = client.post(f"{API}/songs/{song.pk}/cover",
                      {"cover": SimpleUploadedFile("x.png", b"GIF89a-but-not-really", content_type="image/png")},
                      **owner_api)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "cover"]

    settings.TRACKS_MAX_IMAGE_BYTES = 10
    big = client.post(f"{API}/songs/{song.pk}/cover",
                      {"cover": SimpleUploadedFile("x.png", png_bytes(), content_type="image/png")}, **owner_api)
    assert big.status_code == 422 and "too large" in big.json()["detail"][0]["msg"]

    settings.TRACKS_MAX_IMAGE_BYTES = 1_000_000
    ok = client.post(f"{API}/songs/{song.pk}/cover",
                     {"cover": SimpleUploadedFile("x.png", png_bytes(), content_type="image/png")}, **owner_api)
    assert ok.status_code == 200 and ok.json()["cover_url"].startswith("/media/tracks/song/")


def test_unsupported_image_format_is_rejected(client, owner_api, make_song):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="BMP")
    song = make_song("S", "A")

    response = client.post(f"{API}/songs/{song.pk}/cover",
                           {"cover": SimpleUploadedFile("x.bmp", buffer.getvalue(), content_type="image/bmp")}, **owner_api)

    assert response.status_code == 422 and "Unsupported image type BMP" in response.json()["detail"][0]["msg"]


def test_profile_api_update_and_image(client, owner_api):
    body = send(client, "patch", f"{API}/profile", {"display_name": "Charter", "is_public": True}, owner_api).json()
    assert body == {"username": "owner", "display_name": "Charter", "bio": "", "image_url": "", "is_public": True}

    image = client.post(f"{API}/profile/image", {"image": SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")},
                        **owner_api).json()
    assert image["image_url"].startswith("/media/tracks/profiles/")


def test_dashboard_and_stats_api(client, owner_api, make_song):
    make_song("A", "X", status="In Progress")
    make_song("B", "X", status="Released")

    dashboard = client.get(f"{API}/dashboard", **owner_api).json()
    stats = client.get(f"{API}/stats", **owner_api).json()

    assert dashboard["counts"] == {"Future Plans": 0, "In Progress": 1, "Released": 1} and dashboard["total"] == 2
    assert stats["released"] == 1 and stats["in_progress"] == 1 and stats["songs"] == 2


def test_openapi_schema_lists_tracks_operations(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/tracks/songs", "/api/v1/tracks/songs/batch", "/api/v1/tracks/packs/{pack_id}/release",
            "/api/v1/tracks/collaborations/{collaboration_id}/accept", "/api/v1/tracks/workflow/order"} <= set(paths)
