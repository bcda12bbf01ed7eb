"""Listening test helpers: the replay server standing in for ListenBrainz and Last.fm."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


def data(service: str, name: str) -> dict:
    return json.loads((DATA / service / name).read_text())


@pytest.fixture
def listenbrainz(replay, settings):
    """The replay server as api.listenbrainz.org (accepting submissions and the token 'lb-token-owner')."""
    settings.LISTENBRAINZ_API_URL = replay.url
    replay.add("/1/submit-listens", method="POST", json_body=data("listenbrainz", "submit_listens_ok.json"))
    replay.add("/1/validate-token", json_body=data("listenbrainz", "validate_token_ok.json"))
    return replay


@pytest.fixture
def lastfm(replay, settings):
    """The replay server as ws.audioscrobbler.com/2.0 (every method answers from a recorded-shape body)."""
    settings.LASTFM_API_URL = replay.url + "/2.0"
    return replay


def connect_listenbrainz(user, *, url: str = "") -> None:
    from listening.models import ListeningProfile

    ListeningProfile.objects.update_or_create(user=user, defaults={"listenbrainz_token": "lb-token-owner",
                                                                   "listenbrainz_url": url})


def connect_lastfm(user) -> None:
    from listening.models import ListeningProfile

    ListeningProfile.objects.update_or_create(user=user, defaults={"lastfm_session_key": "d580d57f32848f5dcf574d1ce18d78b2",
                                                                   "lastfm_username": "fm-owner"})
