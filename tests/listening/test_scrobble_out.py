"""Scrobbling out to ListenBrainz and Last.fm, against the replay server: the exact requests sent, failures
recorded for the settings page, and nothing lost (unsent listens are sent again)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.utils import timezone

from listening import services
from listening.models import Listen, ListeningProfile

from .conftest import connect_lastfm, connect_listenbrainz, data

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 30, 20, 15, tzinfo=dt.UTC)


def _record(user, **kw) -> Listen:
    args = {"listened_at": AT, "track_title": "Scarlet Begonias", "artist_name": "The Stylus Band",
            "release_name": "1977-05-08 Barton Hall", "duration_seconds": 540, "seconds_played": 240, "source": "web"}
    return services.listen_record(user=user, **{**args, **kw})


def _form(request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def _signature(params: dict[str, str], secret: str) -> str:
    # Last.fm's rule (last.fm/api/authspec §8), computed here independently of the client.
    text = "".join(k + params[k] for k in sorted(params) if k not in ("format", "callback", "api_sig"))
    return hashlib.md5((text + secret).encode()).hexdigest()


def test_listenbrainz_scrobble_sends_the_exact_single_payload(owner, listenbrainz, django_capture_on_commit_callbacks):
    connect_listenbrainz(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner, mbids={"recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"})
    [request] = listenbrainz.requests_to("/1/submit-listens", "POST")
    assert request.headers["Authorization"] == "Token lb-token-owner"
    assert json.loads(request.body) == {"listen_type": "single", "payload": [{
        "listened_at": int(AT.timestamp()),
        "track_metadata": {"artist_name": "The Stylus Band", "track_name": "Scarlet Begonias",
                           "release_name": "1977-05-08 Barton Hall",
                           "additional_info": {"media_player": "Stylus", "submission_client": "Stylus",
                                               "duration_ms": 540000,
                                               "recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"}}}]}
    assert Listen.objects.get(pk=listen.pk).listenbrainz_state == "sent"


def test_listenbrainz_custom_url_receives_the_scrobble(owner, replay, django_capture_on_commit_callbacks):
    replay.add("/maloja/apis/listenbrainz/1/submit-listens", method="POST", json_body={"status": "ok"})
    connect_listenbrainz(owner, url=replay.url + "/maloja/apis/listenbrainz")
    with django_capture_on_commit_callbacks(execute=True):
        _record(owner)
    assert len(replay.requests_to("/maloja/apis/listenbrainz/1/submit-listens", "POST")) == 1


def test_listenbrainz_down_keeps_the_listen_records_the_failure_and_resends_later(
        owner, replay, settings, django_capture_on_commit_callbacks, client):
    settings.LISTENBRAINZ_API_URL = replay.url
    replay.add("/1/submit-listens", method="POST", fault="503")
    connect_listenbrainz(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner)
    listen.refresh_from_db()
    assert listen.listenbrainz_state == "failed"
    profile = ListeningProfile.objects.get(user=owner)
    assert "503" in profile.listenbrainz_error
    client.force_login(owner)
    page = client.get("/listening/settings/").content.decode()
    assert 'data-scrobble-error="listenbrainz"' in page and "1 listen waiting to be sent" in page
    # The service is back; the periodic resend picks up what is older than a few minutes.
    replay.reset()
    replay.add("/1/submit-listens", method="POST", json_body=data("listenbrainz", "submit_listens_ok.json"))
    Listen.objects.filter(pk=listen.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    assert services.scrobbles_resend()["listenbrainz"] == 1
    listen.refresh_from_db()
    assert listen.listenbrainz_state == "sent"
    assert ListeningProfile.objects.get(user=owner).listenbrainz_error == ""
    [request] = replay.requests_to("/1/submit-listens", "POST")
    assert json.loads(request.body)["payload"][0]["track_metadata"]["track_name"] == "Scarlet Begonias"


def test_scrobble_target_unreachable_never_blocks_recording(owner, settings, django_capture_on_commit_callbacks):
    settings.LISTENBRAINZ_API_URL = "http://127.0.0.1:9"  # closed port
    connect_listenbrainz(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner)
    assert Listen.objects.filter(pk=listen.pk, listenbrainz_state="failed").exists()


def test_lastfm_scrobble_sends_signed_form_with_exact_fields(owner, lastfm, settings, django_capture_on_commit_callbacks):
    lastfm.add("/2.0/", method="POST", json_body=data("lastfm", "scrobble_ok.json"))
    connect_lastfm(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner)
    [request] = lastfm.requests_to("/2.0/", "POST")
    form = _form(request)
    expected = {"method": "track.scrobble", "artist[0]": "The Stylus Band", "track[0]": "Scarlet Begonias",
                "timestamp[0]": str(int(AT.timestamp())), "album[0]": "1977-05-08 Barton Hall", "duration[0]": "540",
                "api_key": "test-lastfm-key", "sk": "d580d57f32848f5dcf574d1ce18d78b2", "format": "json"}
    assert {k: v for k, v in form.items() if k != "api_sig"} == expected
    assert form["api_sig"] == _signature(form, settings.LASTFM_API_SECRET)
    assert Listen.objects.get(pk=listen.pk).lastfm_state == "sent"


def test_lastfm_invalid_session_is_recorded_and_not_retried(owner, lastfm, django_capture_on_commit_callbacks):
    lastfm.add("/2.0/", method="POST", status=403, json_body=data("lastfm", "error_invalid_session.json"))
    connect_lastfm(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner)
    assert len(lastfm.requests_to("/2.0/", "POST")) == 1  # permanent: no retry storm
    assert Listen.objects.get(pk=listen.pk).lastfm_state == "failed"
    assert "Invalid session key" in ListeningProfile.objects.get(user=owner).lastfm_error


def test_lastfm_temporary_error_is_retried_until_it_goes_through(owner, lastfm, django_capture_on_commit_callbacks):
    lastfm.add("/2.0/", method="POST", json_body=data("lastfm", "error_unavailable.json"), times=1)
    lastfm.add("/2.0/", method="POST", json_body=data("lastfm", "scrobble_ok.json"))
    connect_lastfm(owner)
    with django_capture_on_commit_callbacks(execute=True):
        listen = _record(owner)
    assert len(lastfm.requests_to("/2.0/", "POST")) == 2
    assert Listen.objects.get(pk=listen.pk).lastfm_state == "sent"


def test_now_playing_goes_to_both_targets(owner, listenbrainz, settings, django_capture_on_commit_callbacks):
    settings.LASTFM_API_URL = listenbrainz.url + "/2.0"
    listenbrainz.add("/2.0/", method="POST", json_body=data("lastfm", "now_playing_ok.json"))
    connect_listenbrainz(owner)
    connect_lastfm(owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.now_playing_set(user=owner, track_title="Bertha", artist_name="The Stylus Band", source="web",
                                 duration_seconds=300)
    [lb] = listenbrainz.requests_to("/1/submit-listens", "POST")
    assert json.loads(lb.body) == {"listen_type": "playing_now", "payload": [{"track_metadata": {
        "artist_name": "The Stylus Band", "track_name": "Bertha",
        "additional_info": {"media_player": "Stylus", "submission_client": "Stylus", "duration_ms": 300000}}}]}
    [fm] = listenbrainz.requests_to("/2.0/", "POST")
    form = _form(fm)
    assert (form["method"], form["artist"], form["track"], form["duration"]) == (
        "track.updateNowPlaying", "The Stylus Band", "Bertha", "300")


def test_import_listens_are_not_forwarded(owner, listenbrainz, django_capture_on_commit_callbacks):
    connect_listenbrainz(owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.listens_import(user=owner, items=[services.ListenIn(listened_at=AT, track_title="T", artist_name="A")],
                                source="import")
    assert listenbrainz.requests_to("/1/submit-listens", "POST") == []


def test_listenbrainz_connect_validates_and_stores_the_token_encrypted(owner, listenbrainz, client):
    client.force_login(owner)
    response = client.post("/listening/settings/listenbrainz/", {"token": "lb-token-owner", "url": ""})
    assert response.status_code == 302
    [request] = listenbrainz.requests_to("/1/validate-token")
    assert request.headers["Authorization"] == "Token lb-token-owner"
    assert ListeningProfile.objects.get(user=owner).listenbrainz_token == "lb-token-owner"
    with connection.cursor() as cursor:
        cursor.execute("SELECT listenbrainz_token FROM listening_listeningprofile")
        assert "lb-token-owner" not in cursor.fetchone()[0]


def test_listenbrainz_connect_refused_token_is_not_stored(owner, replay, settings, client):
    settings.LISTENBRAINZ_API_URL = replay.url
    replay.add("/1/validate-token", status=401, json_body=data("listenbrainz", "error_401.json"))
    client.force_login(owner)
    response = client.post("/listening/settings/listenbrainz/", {"token": "lb-token-wrong", "url": ""}, follow=True)
    assert "refused that token" in response.content.decode()
    assert not ListeningProfile.objects.filter(user=owner).exclude(listenbrainz_token="").exists()


def test_lastfm_web_auth_redirects_then_stores_the_session_key(owner, lastfm, settings, client):
    lastfm.add("/2.0/", method="POST", json_body=data("lastfm", "get_session_ok.json"))
    client.force_login(owner)
    start = client.post("/listening/settings/lastfm/")
    assert start.status_code == 302
    assert start["Location"].startswith(settings.LASTFM_AUTH_URL + "?api_key=test-lastfm-key&cb=")
    done = client.get("/listening/settings/lastfm/callback/", {"token": "a" * 32})
    assert done.status_code == 302
    form = _form(lastfm.requests_to("/2.0/", "POST")[0])
    assert (form["method"], form["token"]) == ("auth.getSession", "a" * 32)
    assert form["api_sig"] == _signature(form, settings.LASTFM_API_SECRET)
    profile = ListeningProfile.objects.get(user=owner)
    assert (profile.lastfm_username, profile.lastfm_session_key) == ("fm-owner", "d580d57f32848f5dcf574d1ce18d78b2")
