"""The wire protocol checked raw: XML and JSON envelopes, .view and POST forms, authentication as the spec
computes it, and the error codes 10, 40, 43, 44 and 70."""
from __future__ import annotations

import json

import pytest

from tests.subsonic.conftest import (
    APP_PASSWORD,
    NS,
    call_json,
    call_xml,
    owner_auth,
    token_auth,
)

ENVELOPE = {"status": "ok", "version": "1.16.1", "type": "stylus", "openSubsonic": True}


def test_ping_xml_envelope_is_the_spec_shape(client, owner_app_password):
    root = call_xml(client, "ping", **owner_auth())
    assert root.tag == f"{NS}subsonic-response"
    assert {k: root.get(k) for k in ("status", "version", "type", "openSubsonic")} == {
        "status": "ok", "version": "1.16.1", "type": "stylus", "openSubsonic": "true"}
    assert root.get("serverVersion")


def test_ping_json_envelope_is_the_spec_shape(client, owner_app_password):
    body = call_json(client, "ping", **owner_auth())
    assert {k: body[k] for k in ENVELOPE} == ENVELOPE and body["serverVersion"]


def test_rest_view_suffix_and_plain_path_answer_the_same(client, owner_app_password):
    plain = client.get("/rest/getMusicFolders", {**owner_auth(), "f": "json"})
    view = client.get("/rest/getMusicFolders.view", {**owner_auth(), "f": "json"})
    assert plain.status_code == view.status_code == 200
    assert json.loads(plain.content) == json.loads(view.content)


def test_rest_form_post_carries_parameters_in_the_body(client, owner_app_password, library):
    response = client.post("/rest/getAlbum.view", {**owner_auth(), "f": "json", "id": f"al-{library.concert.pk}"})
    body = json.loads(response.content)["subsonic-response"]
    assert body["status"] == "ok" and body["album"]["name"] == "2001-02-03 The Lab"


def test_auth_token_and_salt_as_the_spec_computes_them(client, owner):
    from tests.subsonic.conftest import set_app_password

    # The spec's own example: password "sesame", salt "c19b2d" -> 26719a1196d2a940705a59634eb18eab
    set_app_password(owner, "sesame")
    body = call_json(client, "ping", u="owner", t="26719a1196d2a940705a59634eb18eab", s="c19b2d", v="1.16.1", c="t")
    assert body["status"] == "ok"
    wrong = call_json(client, "ping", u="owner", t="26719a1196d2a940705a59634eb18eac", s="c19b2d", v="1.16.1", c="t")
    assert wrong["status"] == "failed" and wrong["error"]["code"] == 40


def test_auth_plain_and_hex_encoded_password(client, owner_app_password):
    assert call_json(client, "ping", u="owner", p=APP_PASSWORD)["status"] == "ok"
    hexed = "enc:" + APP_PASSWORD.encode().hex().upper()
    assert call_json(client, "ping", u="owner", p=hexed)["status"] == "ok"
    assert call_json(client, "ping", u="owner", p="enc:zz")["error"]["code"] == 40


def test_auth_account_password_is_never_accepted(client, owner, owner_app_password, password):
    body = call_json(client, "ping", u="owner", p=password)
    assert body["status"] == "failed" and body["error"]["code"] == 40
    body = call_json(client, "ping", **token_auth("owner", password))
    assert body["error"]["code"] == 40


def test_auth_user_without_app_password_gets_40(client, outsider):
    assert call_json(client, "ping", u="outsider", p="anything")["error"]["code"] == 40


def test_auth_api_key_is_a_personal_token(client, owner):
    from accounts.services import api_token_create

    _, token = api_token_create(user=owner, name="symfonium")
    body = call_json(client, "getUser", apiKey=token, username="owner")
    assert body["status"] == "ok" and body["user"]["username"] == "owner"


def test_auth_invalid_api_key_is_44_and_api_key_with_u_is_43(client, owner):
    from accounts.services import api_token_create

    assert call_json(client, "ping", apiKey="sty_not-a-token")["error"]["code"] == 44
    _, token = api_token_create(user=owner, name="x")
    assert call_json(client, "ping", apiKey=token, u="owner")["error"]["code"] == 43


def test_missing_credentials_and_parameters_are_10(client, owner_app_password):
    assert call_json(client, "ping")["error"]["code"] == 10
    assert call_json(client, "ping", u="owner")["error"]["code"] == 10
    body = call_json(client, "getAlbum", **owner_auth())
    assert body["status"] == "failed" and body["error"]["code"] == 10 and "id" in body["error"]["message"]


def test_errors_in_xml_carry_code_and_message(client, owner_app_password):
    root = call_xml(client, "getAlbum", id="al-999999", **owner_auth())
    assert root.get("status") == "failed"
    error = root.find(f"{NS}error")
    assert error.get("code") == "70" and error.get("message")


@pytest.mark.parametrize("bad_id", ["al-999999", "rc-nothing.here", "so-!!!", "ar-nobody", "xx-1", "al-" + "9" * 40])
def test_unknown_ids_are_70(client, owner_app_password, library, bad_id):
    for method in ("getAlbum", "getSong", "getArtist"):
        body = call_json(client, method, id=bad_id, **owner_auth())
        assert body["status"] == "failed" and body["error"]["code"] == 70


def test_open_subsonic_extensions_are_public_and_exactly_the_implemented_ones(client):
    body = call_json(client, "getOpenSubsonicExtensions")
    assert body["status"] == "ok"
    assert {e["name"]: e["versions"] for e in body["openSubsonicExtensions"]} == {
        "apiKeyAuthentication": [1], "formPost": [1], "sonicSimilarity": [1]}


def test_unknown_method_is_a_clean_failure(client, owner_app_password):
    response = client.get("/rest/getPodcasts.view", {**owner_auth(), "f": "json"})
    assert response.status_code == 404
    assert json.loads(response.content)["subsonic-response"]["status"] == "failed"


def test_bad_numbers_are_a_clean_failure_not_a_500(client, owner_app_password, library):
    body = call_json(client, "getAlbumList2", type="newest", size="ten", **owner_auth())
    assert body["status"] == "failed" and body["error"]["code"] == 0
    body = call_json(client, "getAlbumList2", type="sideways", **owner_auth())
    assert body["status"] == "failed"
    body = call_json(client, "getAlbumList2", type="byYear", **owner_auth())
    assert body["error"]["code"] == 10


def test_jsonp_wraps_the_envelope_in_the_callback(client, owner_app_password):
    response = client.get("/rest/ping", {**owner_auth(), "f": "jsonp", "callback": "cb"})
    assert response.content.startswith(b"cb({") and b'"subsonic-response"' in response.content


def test_rest_answers_are_readable_by_browser_clients_of_any_origin(client, owner_app_password):
    response = client.get("/rest/ping", {**owner_auth(), "f": "json"}, HTTP_ORIGIN="https://player.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response  # nothing a browser could ride on
    preflight = client.options("/rest/stream", HTTP_ORIGIN="https://player.example",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="range")
    assert preflight.status_code == 204 and "Range" in preflight["Access-Control-Allow-Headers"]


def test_xml_text_fields_and_lists_follow_the_schema(client, owner_app_password, library):
    info = call_xml(client, "getAlbumInfo2", id=f"al-{library.concert.pk}", **owner_auth()).find(f"{NS}albumInfo")
    assert info.find(f"{NS}notes").text.startswith("Recorded live at The Lab")  # a text element, not an attribute
    album = call_xml(client, "getAlbum", id=f"al-{library.concert.pk}", **owner_auth()).find(f"{NS}album")
    songs = album.findall(f"{NS}song")
    assert [s.get("title") for s in songs][:3] == ["Intro", "Jam", "Outro"]
    assert songs[0].get("isDir") == "false" and album.get("year") == "2001"
