"""The ListenBrainz-compatible endpoint driven by liblistenbrainz, ListenBrainz's own Python client, against the
live test server."""
from __future__ import annotations

import time

import pytest
from liblistenbrainz import Listen as LbListen
from liblistenbrainz import ListenBrainz
from liblistenbrainz.errors import ListenBrainzAPIException

from listening.models import Listen, NowPlaying


class StylusListenBrainz(ListenBrainz):
    """liblistenbrainz joins endpoints with urljoin, which drops a base URL's path ("/apis/listenbrainz"); players
    such as Navidrome append it instead. Prefixing the endpoint gives the same URLs they use."""

    def _get(self, endpoint, params=None, headers=None):
        return super()._get("/apis/listenbrainz" + endpoint, params, headers)

    def _post(self, endpoint, data=None, headers=None):
        return super()._post("/apis/listenbrainz" + endpoint, data, headers)


@pytest.fixture
def lb_client(asgi_server, owner):
    from accounts.services import api_token_create

    token = api_token_create(user=owner, name="liblistenbrainz")[1]
    client = StylusListenBrainz(api_base_url=asgi_server.url)
    client.set_auth_token(token)  # checks it with GET /1/validate-token
    return client


def test_liblistenbrainz_submits_single_listens_and_playing_now(lb_client, owner):
    now = int(time.time())
    listen = LbListen(track_name="Bertha", artist_name="The Stylus Band", release_name="Barton Hall", listened_at=now - 300,
                      recording_mbid="8f3471b5-7e6a-48da-86a9-c1c07a0f47ae", additional_info={"duration_ms": 300000})
    assert lb_client.submit_single_listen(listen) == {"status": "ok"}
    assert lb_client.submit_playing_now(LbListen(track_name="Scarlet Begonias", artist_name="The Stylus Band")) == {"status": "ok"}
    stored = Listen.objects.get(user=owner)
    assert (stored.track_title, stored.release_name, stored.source, stored.duration_seconds, stored.recording_mbid) == (
        "Bertha", "Barton Hall", "listenbrainz", 300, "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae")
    assert NowPlaying.objects.get(user=owner).track_title == "Scarlet Begonias"


def test_liblistenbrainz_imports_a_batch(lb_client, owner):
    now = int(time.time())
    listens = [LbListen(track_name=f"Track {i}", artist_name="Phonograph Jam", listened_at=now - 600 * i) for i in range(1, 201)]
    assert lb_client.submit_multiple_listens(listens) == {"status": "ok"}
    assert Listen.objects.filter(user=owner, source="listenbrainz").count() == 200


def test_liblistenbrainz_sees_a_bad_token_refused(asgi_server, owner):
    client = StylusListenBrainz(api_base_url=asgi_server.url)
    client.set_auth_token("sty_wrong", check_validity=False)
    with pytest.raises(ListenBrainzAPIException) as info:
        client.submit_single_listen(LbListen(track_name="T", artist_name="A", listened_at=int(time.time()) - 60))
    assert info.value.status_code == 401
    assert not Listen.objects.exists()
