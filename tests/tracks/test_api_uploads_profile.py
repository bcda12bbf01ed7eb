"""Cover and profile image uploads, and the profile, through the API."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tracks.conftest import png_bytes

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"


def send(client, method, url, body, auth):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth)


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
