"""What the player plays for a recording: the user's verified download from Stylus, else the archive's own file
URLs under IA_BASE_URL in the best format the browser plays (FLAC, else the highest-bitrate MP3 or Ogg).

The archive's metadata is a real recording (gd1977-04-23, 22 tracks each in Flac, VBR MP3 ~190 kbit/s and Ogg
Vorbis ~100 kbit/s), replayed from STYLUS_FIXTURES_DIR."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
ITEM = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"


@pytest.fixture
def ia(replay, settings, shared_fixtures):
    settings.IA_BASE_URL = replay.url
    replay.add(f"/metadata/{ITEM}", file=shared_fixtures / "internet_archive" / f"metadata_{ITEM}.json")
    return replay


def _tracks(client, **params) -> dict:
    response = client.get(f"/api/v1/listening/tracks/{ITEM}", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_player_tracks_streams_public_flac_from_the_archive_origin_in_track_order(client, replay, settings,
                                                                                  shared_fixtures, tmp_path):
    import json

    # The same item with its FLACs public (on the real one they are stream-restricted, see the next test).
    data = json.loads((shared_fixtures / "internet_archive" / f"metadata_{ITEM}.json").read_text())
    for raw in data["files"]:
        raw.pop("private", None)
    (tmp_path / "meta.json").write_text(json.dumps(data))
    settings.IA_BASE_URL = replay.url
    replay.add(f"/metadata/{ITEM}", file=tmp_path / "meta.json")
    data = _tracks(client, flac="true")
    assert data["local"] is False
    assert len(data["tracks"]) == 22
    assert [t["file"] for t in data["tracks"][:3]] == ["gd77-04-23d1t01.flac", "gd77-04-23d1t02.flac",
                                                       "gd77-04-23d1t03.flac"]
    first = data["tracks"][0]
    assert first["url"] == f"{replay.url}/download/{ITEM}/gd77-04-23d1t01.flac"
    assert first["duration"] == pytest.approx(266.02)
    assert all(t["url"].startswith(f"{replay.url}/download/{ITEM}/") for t in data["tracks"])
    # A browser without FLAC gets the highest-bitrate lossy format: VBR MP3 (~190 kbit/s), not Ogg (~100 kbit/s).
    assert [t["file"] for t in _tracks(client, flac="false")["tracks"]][0] == "gd77-04-23d1t01.mp3"


def test_player_tracks_never_streams_private_files(client, ia):
    """On the real item the FLACs are private (the archive refuses them): the browser that plays FLAC gets MP3."""
    files = [t["file"] for t in _tracks(client, flac="true")["tracks"]]
    assert len(files) == 22 and all(name.endswith(".mp3") for name in files)


def test_player_tracks_prefers_the_owners_verified_download_and_never_an_outsiders(client, owner, outsider, ia,
                                                                                     tmp_path, settings):
    from archive.models import Download

    settings.MEDIA_ROOT = str(tmp_path)
    folder = Path(tmp_path) / "downloads" / str(owner.pk) / ITEM
    folder.mkdir(parents=True)
    (folder / "gd77-04-23d1t01.flac").write_bytes(b"fLaC" + b"\0" * 100)
    download = Download.objects.create(
        user=owner, identifier=ITEM, file_name="gd77-04-23d1t01.flac", title="Grateful Dead Live", track_title="Opener",
        track=1, creator="Grateful Dead", format="Flac", length=266.0, status=Download.Status.COMPLETED,
        path=str((folder / "gd77-04-23d1t01.flac").relative_to(tmp_path)), bytes_done=104, bytes_total=104)
    client.force_login(owner)
    mine = _tracks(client, flac="true")
    assert mine["local"] is True
    assert [t["url"] for t in mine["tracks"]] == [f"/archive/files/{download.pk}/"]
    client.force_login(outsider)
    theirs = _tracks(client, flac="true")
    assert theirs["local"] is False and len(theirs["tracks"]) == 22


def test_player_tracks_unknown_item_is_404(client, replay, settings):
    settings.IA_BASE_URL = replay.url
    replay.add("/metadata/nosuchitem2026", json_body={})
    response = client.get("/api/v1/listening/tracks/nosuchitem2026")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_csp_media_src_is_built_from_ia_base_url(tmp_path):
    """The rule in config/settings/base.py: the origin of IA_BASE_URL, and nothing else, joins 'self'."""
    import os
    import subprocess
    import sys

    code = ("from config.settings import base; d = base.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
            " print(d['media-src']); print(d['default-src'])")
    env = {**os.environ, "IA_BASE_URL": "https://ia.example.net:8443/some/path"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[\"'self'\", 'https://ia.example.net:8443']", "[\"'self'\"]"]
