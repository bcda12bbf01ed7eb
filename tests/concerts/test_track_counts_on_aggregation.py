"""Issue 12 (product 9): track counts are filled when concerts are aggregated, from the item metadata."""
from __future__ import annotations

import pytest

from concerts import services
from concerts.models import Concert, Performance, Recording
from integrations.internet_archive.types import SearchDoc

GD = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"
INFO = "gd1977-04-23.97596.txt"


@pytest.fixture
def archive(replay, settings, shared_fixtures):
    settings.IA_BASE_URL = replay.url
    replay.add(f"/metadata/{GD}", file=shared_fixtures / "internet_archive" / f"metadata_{GD}.json")
    # written for this test in the style of a taper's info file (the real one is not recorded)
    replay.add(f"/download/{GD}/{INFO}", body=b"Grateful Dead\n1977-04-23\nSource: SBD > Reel > DAT\n\n"
               b"d1t01 Tuning\nd1t02 Sugaree\n")
    return replay


def _doc() -> SearchDoc:
    return SearchDoc(identifier=GD, creator="Grateful Dead", date="1977-04-23", venue="Springfield Civic Center Arena",
                     source="Matrix mix (SBD/AUD)", formats=("Flac", "VBR MP3", "Ogg Vorbis"), title="GD 1977-04-23")


def test_aggregate_fills_track_counts_from_item_metadata(db, archive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.concerts_aggregate_items(docs=[_doc()])
    recording = Recording.objects.get(identifier=GD)  # nobody opened the recording
    assert recording.track_count == 22 and recording.length == pytest.approx(11595.38, abs=1.0)
    assert recording.transferer == "Hunter Seamons"
    assert len(archive.requests_to(f"/metadata/{GD}")) == 1
    # the same pass extracted the setlist and agreed the concert's
    concert = Concert.objects.get()
    assert concert.setlist_identifier == GD
    assert Performance.objects.filter(concert=concert).count() == 22


def test_aggregate_again_does_not_refetch_filled_recordings(db, archive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.concerts_aggregate_items(docs=[_doc()])
    with django_capture_on_commit_callbacks(execute=True):
        services.concerts_aggregate_items(docs=[_doc()])
    assert len(archive.requests_to(f"/metadata/{GD}")) == 1
    assert len(archive.requests_to(f"/download/{GD}/{INFO}")) == 1  # the info file is fetched once, then kept
    assert Recording.objects.get().info_text.startswith("Grateful Dead")


def test_aggregate_leaves_track_count_empty_when_metadata_is_unavailable(db, replay, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.IA_BASE_URL = replay.url
    replay.add(f"/metadata/{GD}", json_body={})  # dark item
    with django_capture_on_commit_callbacks(execute=True):
        report = services.concerts_aggregate_items(docs=[_doc()])
    assert report.recordings_created == 1
    assert Recording.objects.get().track_count is None
    assert services.recordings_needing_enrichment() == [GD]


def test_recordings_stored_signal_enriches_those_recordings(db, archive, django_capture_on_commit_callbacks):
    from archive.signals import recordings_stored

    services.concerts_aggregate_items(docs=[_doc()], enrich=False)
    assert Recording.objects.get().track_count is None
    with django_capture_on_commit_callbacks(execute=True):
        recordings_stored.send(sender=None, identifiers=[GD])
    assert Recording.objects.get().track_count == 22


def test_recordings_stored_after_our_own_enrichment_does_not_queue_it_again(db, archive, settings,
                                                                            django_capture_on_commit_callbacks):
    """Enrichment reads metadata through archive, which announces it: that must not loop, even uncached."""
    from archive.signals import recordings_stored

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    services.concerts_aggregate_items(docs=[_doc()], enrich=False)
    with django_capture_on_commit_callbacks(execute=True):
        recordings_stored.send(sender=None, identifiers=[GD])
    assert Recording.objects.get().track_count == 22
    assert len(archive.requests_to(f"/metadata/{GD}")) == 1
