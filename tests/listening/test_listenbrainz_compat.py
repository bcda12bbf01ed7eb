"""/apis/listenbrainz/1/...: ListenBrainz's own request, response and error shapes."""
from __future__ import annotations

import json
import time

import pytest

from listening.models import Listen, NowPlaying

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(owner):
    from accounts.services import api_token_create

    return api_token_create(user=owner, name="navidrome")[1]


def _submit(client, token: str, body, **headers):
    return client.post("/apis/listenbrainz/1/submit-listens", json.dumps(body) if not isinstance(body, bytes) else body,
                       content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}", **headers)


def _listen(ts: int | None = None, **meta) -> dict:
    return {"listened_at": ts or int(time.time()) - 60,
            "track_metadata": {"artist_name": "The Stylus Band", "track_name": "Bertha", **meta}}


def test_submit_listens_single_is_stored_with_source_listenbrainz(client, owner, token):
    response = _submit(client, token, {"listen_type": "single", "payload": [_listen(release_name="Barton Hall")]})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    listen = Listen.objects.get(user=owner)
    assert (listen.source, listen.release_name, listen.submitted["track_metadata"]["track_name"]) == (
        "listenbrainz", "Barton Hall", "Bertha")


def test_submit_listens_import_stores_a_batch_of_1000(client, owner, token):
    now = int(time.time())
    payload = [_listen(now - 60 * i, track_name=f"Track {i}") for i in range(1, 1001)]
    assert _submit(client, token, {"listen_type": "import", "payload": payload}).status_code == 200
    assert Listen.objects.filter(user=owner).count() == 1000


def test_submit_listens_playing_now_sets_now_playing_without_a_listen(client, owner, token):
    body = {"listen_type": "playing_now", "payload": [{"track_metadata": {"artist_name": "A", "track_name": "T"}}]}
    assert _submit(client, token, body).status_code == 200
    assert not Listen.objects.exists()
    assert NowPlaying.objects.get(user=owner).track_title == "T"


def test_submit_listens_resubmission_is_not_a_second_listen(client, owner, token):
    body = {"listen_type": "single", "payload": [_listen(1_700_000_000)]}
    _submit(client, token, body)
    _submit(client, token, body)
    assert Listen.objects.filter(user=owner).count() == 1


@pytest.mark.parametrize(("body", "message"), [
    ({"listen_type": "single", "payload": [{"listened_at": 1_700_000_000}]}, "track_metadata"),
    ({"listen_type": "single", "payload": [_listen(int(time.time()) + 86400)]}, "future"),
    ({"listen_type": "single", "payload": [_listen(978_307_200)]}, "2002"),  # 2001-01-01
    ({"listen_type": "import", "payload": [_listen(1_700_000_000 + i) for i in range(1001)]}, "1000"),
    ({"listen_type": "single", "payload": [_listen(track_name="x" * 1001)]}, "1000 characters"),
    ({"listen_type": "single", "payload": [_listen(artist_name="")]}, "artist_name"),
    ({"listen_type": "single", "payload": [_listen(), _listen()]}, "exactly one"),
    ({"listen_type": "sometimes", "payload": [_listen()]}, "listen type"),
    ({"listen_type": "single", "payload": []}, "any listens"),
    ({"listen_type": "single", "payload": [{"listened_at": "yesterday", "track_metadata": {"artist_name": "A",
                                                                                          "track_name": "T"}}]}, "integer"),
    ({"payload": [_listen()]}, "Invalid JSON"),
])
def test_submit_listens_malformed_payload_is_400_in_listenbrainz_shape(client, token, body, message):
    response = _submit(client, token, body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == 400 and message in data["error"]
    assert not Listen.objects.exists()


def test_submit_listens_unparseable_json_is_400(client, token):
    response = _submit(client, token, b"{not json")
    assert response.status_code == 400 and "Cannot parse JSON" in response.json()["error"]


def test_submit_listens_bad_token_is_401(client, owner):
    response = _submit(client, "sty_not-a-real-token", {"listen_type": "single", "payload": [_listen()]})
    assert response.status_code == 401
    assert response.json() == {"code": 401, "error": "Invalid authorization token."}
    assert not Listen.objects.exists()


def test_submit_listens_without_authorization_is_401(client):
    response = client.post("/apis/listenbrainz/1/submit-listens", json.dumps({"listen_type": "single", "payload": [_listen()]}),
                           content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == 401


def test_validate_token_answers_valid_with_user_name(client, token):
    response = client.get("/apis/listenbrainz/1/validate-token", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json() == {"code": 200, "message": "Token valid.", "valid": True, "user_name": "owner"}


def test_validate_token_wrong_token_is_valid_false(client):
    response = client.get("/apis/listenbrainz/1/validate-token", HTTP_AUTHORIZATION="Token sty_wrong")
    assert response.status_code == 200
    assert response.json() == {"code": 200, "message": "Token invalid.", "valid": False}


def test_submit_listens_wrong_method_is_405_in_listenbrainz_shape(client):
    response = client.get("/apis/listenbrainz/1/submit-listens")
    assert response.status_code == 405 and response.json()["code"] == 405


def test_submit_listens_accepts_a_1000_listen_batch_larger_than_djangos_upload_limit(client, owner, token, settings):
    """ListenBrainz allows 10 KiB a listen: 3 KiB of additional_info each is a valid 3 MB batch."""
    now = int(time.time())
    payload = [_listen(now - 60 * i, track_name=f"Track {i}", additional_info={"tags": ["x" * 100] * 30})
               for i in range(1, 1001)]
    body = json.dumps({"listen_type": "import", "payload": payload}).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = _submit(client, token, body)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert Listen.objects.filter(user=owner).count() == 1000


def test_submit_listens_over_10_kib_a_listen_is_400_in_listenbrainz_shape(client, owner, token):
    payload = [_listen(int(time.time()) - 60, additional_info={"blob": "x" * 10_300_000})]
    response = _submit(client, token, json.dumps({"listen_type": "single", "payload": payload}).encode())
    assert response.status_code == 400
    assert response.json() == {"code": 400, "error": "Payload too large."}
    assert not Listen.objects.exists()
