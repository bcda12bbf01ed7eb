"""stream and download: verified local files with Range (206 and the right bytes), archive files streamed
through Stylus with the client's Range passed upstream, and upstream errors mapped; no transcoding."""
from __future__ import annotations

import json

from subsonic import ids
from tests.subsonic.conftest import ITEM, TRACKS, completed_download, owner_auth

CONTENT = bytes(range(256)) * 64  # 16 KiB, every offset distinguishable


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_stream_local_file_honours_range(client, library, owner, owner_app_password, replay):
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[0], content=CONTENT)
    song_id = ids.file_song_id(ITEM, TRACKS[0])
    response = client.get("/rest/stream.view", {**owner_auth(), "id": song_id}, HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-1999/{len(CONTENT)}"
    assert _body(response) == CONTENT[1000:2000]
    assert not replay.requests_to(f"/download/{ITEM}/{TRACKS[0]}")  # held locally: the archive is not asked


def test_stream_local_file_whole_and_suffix_range(client, library, owner, owner_app_password):
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[0], content=CONTENT)
    song_id = ids.file_song_id(ITEM, TRACKS[0])
    whole = client.get("/rest/stream", {**owner_auth(), "id": song_id, "format": "raw"})
    assert whole.status_code == 200 and _body(whole) == CONTENT and whole["Accept-Ranges"] == "bytes"
    tail = client.get("/rest/stream", {**owner_auth(), "id": song_id}, HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206 and _body(tail) == CONTENT[-100:]
    beyond = client.get("/rest/stream", {**owner_auth(), "id": song_id}, HTTP_RANGE=f"bytes={len(CONTENT)}-")
    assert beyond.status_code == 416


def test_download_local_file_is_an_attachment(client, library, owner, owner_app_password):
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[0], content=CONTENT)
    response = client.get("/rest/download", {**owner_auth(), "id": ids.file_song_id(ITEM, TRACKS[0])})
    assert response.status_code == 200 and _body(response) == CONTENT
    assert response["Content-Disposition"].startswith("attachment")


def test_stream_archive_file_passes_range_through(client, library, owner_app_password, replay):
    song_id = ids.file_song_id(ITEM, TRACKS[1])
    response = client.get("/rest/stream.view", {**owner_auth(), "id": song_id}, HTTP_RANGE="bytes=100-299")
    expected = (library.folder / TRACKS[1]).read_bytes()[100:300]
    assert response.status_code == 206
    assert _body(response) == expected
    assert response["Content-Range"].startswith("bytes 100-299/")
    upstream = replay.requests_to(f"/download/{ITEM}/{TRACKS[1]}")
    assert [r.headers.get("Range") for r in upstream] == ["bytes=100-299"]


def test_stream_archive_file_without_range_is_whole(client, library, owner_app_password, replay):
    response = client.get("/rest/stream", {**owner_auth(), "id": ids.file_song_id(ITEM, TRACKS[2])})
    assert response.status_code == 200
    assert _body(response) == (library.folder / TRACKS[2]).read_bytes()
    assert "Range" not in replay.requests_to(f"/download/{ITEM}/{TRACKS[2]}")[0].headers


def test_stream_archive_malformed_range_is_not_passed_upstream(client, library, owner_app_password, replay):
    response = client.get("/rest/stream", {**owner_auth(), "id": ids.file_song_id(ITEM, TRACKS[2])},
                          HTTP_RANGE="bytes=1-2,5-6\r\nX-Evil: 1")
    assert response.status_code == 200
    assert "Range" not in replay.requests_to(f"/download/{ITEM}/{TRACKS[2]}")[0].headers


def test_stream_archive_404_is_70(client, library, owner_app_password, replay):
    replay.reset()
    replay.add(f"/download/{ITEM}/gone.mp3", status=404, body="not here")
    body = json.loads(client.get("/rest/stream", {**owner_auth(), "f": "json",
                                                  "id": ids.file_song_id(ITEM, "gone.mp3")}).content)
    assert body["subsonic-response"]["error"]["code"] == 70


def test_stream_archive_down_is_503_with_retry_after(client, library, owner_app_password, replay, settings):
    settings.INTEGRATION_MAX_RETRIES = 0
    replay.reset()
    replay.add(f"/download/{ITEM}/{TRACKS[0]}", fault="503")
    response = client.get("/rest/stream", {**owner_auth(), "f": "json", "id": ids.file_song_id(ITEM, TRACKS[0])})
    assert response.status_code == 503 and response["Retry-After"]
    assert json.loads(response.content)["subsonic-response"]["status"] == "failed"


def test_stream_archive_range_past_the_end_is_416(client, library, owner_app_password, replay):
    response = client.get("/rest/stream", {**owner_auth(), "id": ids.file_song_id(ITEM, TRACKS[0])},
                          HTTP_RANGE="bytes=999999-")
    assert response.status_code == 416
    # the archive's `bytes */<length>` is passed on, so the player learns the length and asks again
    refused = response["Content-Range"]
    assert refused.startswith("bytes */") and 0 < int(refused.removeprefix("bytes */")) < 999999


def test_stream_refuses_files_that_are_not_audio(client, library, owner_app_password, replay):
    body = json.loads(client.get("/rest/stream", {**owner_auth(), "f": "json",
                                                  "id": ids.file_song_id(ITEM, "tt2001-02-03.txt")}).content)
    assert body["subsonic-response"]["error"]["code"] == 70
    assert not replay.requests_to(f"/download/{ITEM}/tt2001-02-03.txt")


def test_cover_art_uses_the_items_image_or_a_generated_one(client, library, owner_app_password, replay):
    replay.add(f"/download/{ITEM}/artwork/cover.jpg", body=b"\xff\xd8\xffJPEGDATA", content_type="image/jpeg")
    response = client.get("/rest/getCoverArt", {**owner_auth(), "id": f"al-{library.concert.pk}"})
    assert response.status_code == 200 and _body(response) == b"\xff\xd8\xffJPEGDATA"
    generated = client.get("/rest/getCoverArt", {**owner_auth(), "id": "ar-test-tapers", "size": "64"})
    assert generated["Content-Type"] == "image/png" and _body(generated)[:4] == b"\x89PNG"


def test_stream_archive_private_file_is_70(client, library, owner_app_password, replay):
    replay.reset()
    replay.add(f"/download/{ITEM}/{TRACKS[0]}", status=403, body="forbidden")
    body = json.loads(client.get("/rest/stream", {**owner_auth(), "f": "json",
                                                  "id": ids.file_song_id(ITEM, TRACKS[0])}).content)
    assert body["subsonic-response"]["error"]["code"] == 70


def test_stream_archive_refusing_the_request_is_502(client, library, owner_app_password, replay):
    replay.reset()
    replay.add(f"/download/{ITEM}/{TRACKS[0]}", status=400, body="bad request")
    response = client.get("/rest/stream", {**owner_auth(), "f": "json", "id": ids.file_song_id(ITEM, TRACKS[0])})
    assert response.status_code == 502
    assert json.loads(response.content)["subsonic-response"]["error"]["code"] == 0


def test_stream_own_upload_honours_range(client, owner, owner_app_password):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommend.models import AudioUpload

    upload = AudioUpload.objects.create(user=owner, title="Take", artist="Garage Trio",
                                        file=SimpleUploadedFile("take.mp3", CONTENT))
    response = client.get("/rest/stream", {**owner_auth(), "id": ids.upload_song_id(upload.pk)},
                          HTTP_RANGE="bytes=300-399")
    assert response.status_code == 206 and response["Content-Type"] == "audio/mpeg"
    assert _body(response) == CONTENT[300:400]
