"""Subsonic test helpers: a small concert library whose best recording is our own test item (served by the
replay server standing in for archive.org), app passwords, and raw request helpers."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.utils import timezone

ITEM = "testtapers2001-02-03.sbd.flac16"
OTHER = "testtapers2001-02-03.aud.mp3"
TRACKS = ["tt2001-02-03d1t01.mp3", "tt2001-02-03d1t02.mp3", "tt2001-02-03d1t03.mp3"]
APP_PASSWORD = "sesame-app-password"
NS = "{http://subsonic.org/restapi}"


@dataclass
class Library:
    concert: Any
    later: Any
    best: Any
    other: Any
    folder: Path


@pytest.fixture(autouse=True)
def _fresh_memos():
    """Each test builds its own library, passwords and marks: nothing memoised by an earlier test may answer."""
    from subsonic import selectors
    from subsonic.selectors import auth, marks

    selectors.library_memo_clear()
    auth._passwords.clear()
    marks._local.clear()
    yield
    selectors.library_memo_clear()
    auth._passwords.clear()
    marks._local.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def library(db, replay, settings, data_dir) -> Library:
    """Two Test Tapers concerts; the first has two recordings, its best being our fixture item."""
    from concerts.models import Concert, Recording

    settings.IA_BASE_URL = replay.url
    folder = data_dir / "internet_archive"
    replay.add(f"/metadata/{ITEM}", file=folder / "metadata_testtapers.json")
    for name in TRACKS:
        replay.add(f"/download/{ITEM}/{name}", file=folder / name)
    concert = Concert.objects.create(artist="Test Tapers", artist_key="test tapers", artist_slug="test-tapers",
                                     date_text="2001-02-03", date=dt.date(2001, 2, 3), year=2001, venue="The Lab",
                                     location="Springfield, OR", recordings_count=2, best_identifier=ITEM,
                                     best_reason="soundboard, lossless", latest_added="2020-01-01")
    best = Recording.objects.create(identifier=ITEM, concert=concert, source_type="SBD", rank=1, track_count=3,
                                    length=366.0, soundboard=True, lossless=True)
    other = Recording.objects.create(identifier=OTHER, concert=concert, source_type="AUD", rank=2, track_count=3,
                                     length=370.0)
    later = Concert.objects.create(artist="The Phonograph Jam", artist_key="the phonograph jam",
                                   artist_slug="the-phonograph-jam", date_text="2004-07-03", date=dt.date(2004, 7, 3),
                                   year=2004, venue="Red Rocks", location="Morrison, CO", recordings_count=1,
                                   best_identifier="phonographjam2004-07-03.sbd", latest_added="2021-05-05")
    Recording.objects.create(identifier="phonographjam2004-07-03.sbd", concert=later, source_type="SBD", rank=1,
                             track_count=12, length=5400.0)
    return Library(concert=concert, later=later, best=best, other=other, folder=folder)


def set_app_password(user, secret: str = APP_PASSWORD) -> str:
    from subsonic import selectors
    from subsonic.models import AppPassword

    AppPassword.objects.update_or_create(user=user, defaults={"secret": secret})
    selectors.app_password_forget(username=user.get_username())
    return secret


@pytest.fixture
def owner_app_password(owner) -> str:
    return set_app_password(owner)


@pytest.fixture
def outsider_app_password(outsider) -> str:
    return set_app_password(outsider, "outsider-app-password")


def token_auth(username: str, secret: str, salt: str = "c19b2d") -> dict[str, str]:
    """u/t/s exactly as the spec computes it: t = md5(password + salt), lower-case hex."""
    return {"u": username, "t": hashlib.md5((secret + salt).encode()).hexdigest(), "s": salt, "v": "1.16.1",
            "c": "tests"}


def owner_auth(**extra: str) -> dict[str, str]:
    return {**token_auth("owner", APP_PASSWORD), **extra}


def outsider_auth(**extra: str) -> dict[str, str]:
    return {**token_auth("outsider", "outsider-app-password"), **extra}


def call_json(client, method: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/rest/{method}", {**params, "f": "json"})
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)["subsonic-response"]


def call_xml(client, method: str, **params: Any) -> ElementTree.Element:
    response = client.get(f"/rest/{method}", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def completed_download(*, user, identifier: str, file_name: str, content: bytes, title: str = "",
                       creator: str = "Test Tapers", track: int | None = 1):
    """A verified download on disk, as archive's download service leaves it."""
    from django.conf import settings

    from archive.models import Download

    relative = f"downloads/{user.pk}/{identifier}/{file_name}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return Download.objects.create(user=user, identifier=identifier, file_name=file_name, title=title or identifier,
                                   track_title=file_name.rsplit(".", 1)[0], track=track, creator=creator,
                                   format="VBR MP3", status=Download.Status.COMPLETED, bytes_done=len(content),
                                   bytes_total=len(content), path=relative, completed_at=timezone.now())
