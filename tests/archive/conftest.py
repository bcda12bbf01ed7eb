"""Archive test helpers: the replay server standing in for archive.org, with our own small item."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

ITEM = "testtapers2001-02-03.sbd.flac16"
TRACKS = ["tt2001-02-03d1t01.mp3", "tt2001-02-03d1t02.mp3", "tt2001-02-03d1t03.mp3"]


@dataclass
class FakeArchive:
    url: str
    item: str
    folder: Path
    replay: object

    def serve(self, name: str, **kwargs):
        """Adds a route answering /download/<item>/<name> from our fixture file."""
        return self.replay.add(f"/download/{self.item}/{name}", file=self.folder / name, **kwargs)

    def file_path(self, name: str) -> str:
        return f"/download/{self.item}/{name}"

    def metadata(self) -> dict:
        return json.loads((self.folder / "metadata_testtapers.json").read_text())


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ARCHIVE_DOWNLOAD_CHUNK_BYTES = 4096
    settings.ARCHIVE_MIN_FREE_BYTES = 0


@pytest.fixture
def ia(replay, settings, data_dir, db) -> FakeArchive:
    settings.IA_BASE_URL = replay.url
    folder = data_dir / "internet_archive"
    replay.add(f"/metadata/{ITEM}", file=folder / "metadata_testtapers.json")
    return FakeArchive(url=replay.url, item=ITEM, folder=folder, replay=replay)
