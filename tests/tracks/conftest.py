"""Tracks fixtures: a collaborator actor, song/pack factories and tiny images for uploads."""
from __future__ import annotations

import io

import pytest

from tests.factories import UserFactory


@pytest.fixture
def collaborator(db):
    return UserFactory(username="collaborator")


@pytest.fixture
def collaborator_api(collaborator):
    from accounts.services import api_token_create

    _, plaintext = api_token_create(user=collaborator, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def collaborator_client(collaborator):
    from django.test import Client

    c = Client()
    c.force_login(collaborator)
    return c


@pytest.fixture
def make_song(owner):
    from tracks import services

    def make(title: str = "Song", artist: str = "Artist", user=None, **data):
        return services.song_create(user=user or owner, data={"title": title, "artist": artist, **data})

    return make


@pytest.fixture
def make_pack(owner):
    from tracks import services

    def make(name: str = "Pack", user=None, **data):
        return services.pack_create(user=user or owner, data={"name": name, **data})

    return make


def share(*, owner, user, song=None, pack=None, permission=None):
    """Invites `user` and accepts on their behalf: an active collaboration."""
    from tracks import services

    collab = services.collaboration_invite(user=owner, username=user.username, song=song, pack=pack,
                                           permission=permission)
    return services.collaboration_respond(user=user, collaboration=collab, accept=True)


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
