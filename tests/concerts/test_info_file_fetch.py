"""The taper's info .txt: fetched once and kept, never over 1 MB."""
from __future__ import annotations

import pytest

from concerts import services
from concerts.models import Recording
from integrations.internet_archive.parser import parse_metadata
from integrations.internet_archive.textfiles import MAX_BYTES, FileTooLarge, fetch_text_file
from integrations.internet_archive.types import SearchDoc

ITEM = "tt2001-02-03.sbd.flac16"


def _meta(size: int | None):
    return parse_metadata({"metadata": {"identifier": ITEM, "creator": "Test Tapers", "date": "2001-02-03",
                                        "description": "Set 1\nWrong Song"},
                           "files": [{"name": "tt01.flac", "format": "Flac", "length": "60"},
                                     {"name": "tt2001-02-03.txt", "format": "Text",
                                      **({"size": str(size)} if size is not None else {})}]}, identifier=ITEM)


@pytest.fixture
def recording(db, replay, settings):
    settings.IA_BASE_URL = replay.url
    services.concerts_aggregate_items(docs=[SearchDoc(identifier=ITEM, creator="Test Tapers", date="2001-02-03",
                                                      formats=("Flac",))], enrich=False)
    return Recording.objects.get()


def test_info_file_is_fetched_once_and_read_from_the_row(recording, replay):
    replay.add(f"/download/{ITEM}/tt2001-02-03.txt", body=b"Test Tapers\n\nd1t01 Bertha\n")
    services.recording_setlist_from_meta(recording=recording, meta=_meta(size=40))
    services.recording_setlist_from_meta(recording=Recording.objects.get(), meta=_meta(size=40))
    assert len(replay.requests_to(f"/download/{ITEM}/tt2001-02-03.txt")) == 1
    recording.refresh_from_db()
    assert recording.info_file == "tt2001-02-03.txt" and recording.info_fetched
    assert list(recording.setlist.values_list("title", "file_name", "source")) == [("Bertha", "tt01.flac", "info")]


def test_info_file_listed_over_1mb_is_not_fetched(recording, replay):
    services.recording_setlist_from_meta(recording=recording, meta=_meta(size=MAX_BYTES + 1))
    assert replay.requests_to(f"/download/{ITEM}/tt2001-02-03.txt") == []
    assert list(Recording.objects.get().setlist.values_list("title", flat=True)) == ["Wrong Song"]


def test_info_file_over_1mb_on_the_wire_is_refused(recording, replay):
    replay.add(f"/download/{ITEM}/tt2001-02-03.txt", body=b"x" * (MAX_BYTES + 10))
    with pytest.raises(FileTooLarge):
        fetch_text_file(ITEM, "tt2001-02-03.txt")
    services.recording_setlist_from_meta(recording=recording, meta=_meta(size=None))  # size unknown: capped read
    recording.refresh_from_db()
    assert recording.info_fetched and recording.info_text == ""


def test_info_file_latin1_is_decoded(recording, replay):
    replay.add(f"/download/{ITEM}/tt2001-02-03.txt", body="d1t01 Caf\xe9 Blues\n".encode("latin-1"))
    assert fetch_text_file(ITEM, "tt2001-02-03.txt") == "d1t01 Café Blues\n"
