"""Aggregation: Relisten's date rules, grouping, consensus, best-recording order, idempotent re-runs."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from django.core.management import CommandError, call_command

from concerts import selectors, services
from concerts.aggregation import best_reason, clean_date, recording_score, weighted_rating
from concerts.models import AggregationRun, Concert, Recording
from integrations.internet_archive.parser import parse_metadata
from integrations.internet_archive.types import SearchDoc


def doc(identifier, *, creator="Grateful Dead", date="1977-05-08", venue="Barton Hall", coverage="Ithaca, NY",
        source="", formats=("VBR MP3",), rating=None, reviews=0, downloads=0, added="2020-01-01T00:00:00Z", **kw):
    return SearchDoc(identifier=identifier, creator=creator, date=date, venue=venue, coverage=coverage, source=source,
                     formats=formats, avg_rating=rating, num_reviews=reviews, downloads=downloads, addeddate=added,
                     title=kw.pop("title", f"{creator} Live on {date}"), **kw)


@pytest.mark.parametrize("raw,text,full", [
    ("1977-05-08", "1977-05-08", dt.date(1977, 5, 8)),
    ("1997-20-05", "1997-05-20", dt.date(1997, 5, 20)),  # day and month swapped
    ("1997-00-05", "1997-00-05", None),  # unknown month: partial
    ("1997-05-00", "1997-05-00", None),
    ("1997-XX-XX", "1997-00-00", None),
    ("1997", "1997-00-00", None),
    ("1997-05-20T00:00:00Z", "1997-05-20", dt.date(1997, 5, 20)),  # ISO timestamp trimmed
    ("1997-05-20 21:00:00", "1997-05-20", dt.date(1997, 5, 20)),
    ("1997-5-8", "1997-05-08", dt.date(1997, 5, 8)),
])
def test_clean_date_follows_relisten(raw, text, full):
    cleaned = clean_date(raw)
    assert cleaned is not None and cleaned.text == text and cleaned.date == full and cleaned.year == int(raw[:4])


@pytest.mark.parametrize("raw", ["2009-09-31", "2009-02-29", "1997-13-13", "1997-05-32", "", None, "May 8th 1977",
                                 "0000-01-01", "3010-01-01"])
def test_clean_date_rejects_impossible_or_missing_dates(raw):
    assert clean_date(raw) is None


def test_weighted_rating_matches_the_formula():
    n, avg, avg_all = 12, 4.6, 4.0
    expected = (n * avg + math.log(n + 1) * avg_all) / (n + math.log(n + 1) + 1)
    assert weighted_rating(avg=avg, n=n, avg_all=avg_all) == pytest.approx(expected)
    assert weighted_rating(avg=None, n=0, avg_all=4.0) == 0.0
    # one five-star review does not beat many good ones
    assert weighted_rating(avg=5.0, n=1, avg_all=4.0) < weighted_rating(avg=4.6, n=40, avg_all=4.0)


def test_best_reason_reads_like_relisten():
    assert best_reason(source_type="SBD", soundboard=True, format="Flac", avg=4.6, n=12) == \
        "soundboard, FLAC, 4.6★ from 12 reviews"
    assert best_reason(source_type="AUD", soundboard=False, format="VBR MP3", avg=None, n=0) == \
        "audience, VBR MP3, no reviews yet"


def test_aggregate_groups_recordings_by_artist_and_date(db):
    report = services.concerts_aggregate_items(docs=[
        doc("gd77-05-08.sbd", source="SBD", venue="Barton Hall"),
        doc("gd77-05-08.aud", creator="grateful  dead", source="AUD", venue="Barton Hall, Cornell University"),
        doc("gd77-05-08.mtx", source="Matrix", venue="barton hall"),
        doc("gd77-05-09.sbd", date="1977-05-09", venue="War Memorial"),
        doc("ph97-05-08", creator="Phish", venue="Barton Hall"),
    ])
    assert report.concerts_created == 3 and report.recordings_created == 5
    barton = Concert.objects.get(artist_key="grateful dead", date_text="1977-05-08")
    assert barton.recordings_count == 3 and barton.artist == "Grateful Dead"
    assert barton.venue == "Barton Hall"  # consensus across recordings, case-insensitive
    assert barton.location == "Ithaca, NY" and barton.year == 1977 and barton.date == dt.date(1977, 5, 8)
    assert Recording.objects.get(identifier="gd77-05-08.aud").concert == barton


def test_aggregate_counts_undated_and_impossible_dates(db):
    report = services.concerts_aggregate_items(docs=[
        doc("ok", date="1977-05-08"), doc("undated", date=""), doc("bad", date="2009-09-31"),
        doc("swapped", date="1977-20-05"), doc("partial", date="1977-00-05"),
    ])
    assert report.items_seen == 5 and report.items_undated == 1 and report.items_bad_date == 1
    assert "bad: 2009-09-31" in report.bad_dates
    assert sorted(Concert.objects.values_list("date_text", flat=True)) == ["1977-00-05", "1977-05-08", "1977-05-20"]
    assert not Recording.objects.filter(identifier__in=["undated", "bad"]).exists()
    assert Concert.objects.get(date_text="1977-00-05").is_partial_date


def test_best_recording_prefers_rating_then_soundboard_then_lossless(db):
    services.concerts_aggregate_items(docs=[
        doc("gd.aud.mp3", source="AUD", formats=("VBR MP3",), rating=4.0, reviews=5, downloads=900),
        doc("gd.sbd.flac", source="Soundboard", formats=("Flac", "VBR MP3"), rating=4.6, reviews=12),
        doc("gd.sbd.mp3", source="SBD", formats=("VBR MP3",), rating=4.6, reviews=12),
        doc("gd.aud.flac.unrated", source="AUD", formats=("Flac",)),
        doc("gd.fob.flac.star", source="AUD", formats=("Flac",), rating=5.0, reviews=1),
    ])
    concert = Concert.objects.get()
    order = list(selectors.recordings_for_concert(concert=concert).values_list("identifier", flat=True))
    assert order[:3] == ["gd.sbd.flac", "gd.sbd.mp3", "gd.aud.mp3"]
    assert order[-1] == "gd.aud.flac.unrated"
    assert concert.best_identifier == "gd.sbd.flac"
    assert concert.best_reason == "soundboard, FLAC, 4.6★ from 12 reviews"
    assert list(Recording.objects.filter(concert=concert).order_by("rank").values_list("rank", flat=True)) == [1, 2, 3, 4, 5]


def test_score_uses_the_artists_average_rating(db):
    services.concerts_aggregate_items(docs=[
        doc("a1", date="1977-05-08", rating=5.0, reviews=3), doc("a2", date="1977-05-09", rating=3.0, reviews=3)])
    a1 = Recording.objects.get(identifier="a1")
    assert a1.score == pytest.approx(recording_score(avg=5.0, n=3, avg_all=4.0, soundboard=False, lossless=False))


def test_aggregate_rerun_changes_nothing(db):
    docs = [doc("x.sbd", source="SBD", rating=4.5, reviews=3), doc("x.aud", source="AUD"),
            doc("y", date="1978-01-01", venue="Somewhere")]
    services.concerts_aggregate_items(docs=docs)
    before = {r.identifier: (r.updated_at, r.rank, r.score) for r in Recording.objects.all()}
    concerts_before = {c.pk: c.updated_at for c in Concert.objects.all()}
    again = services.concerts_aggregate_items(docs=docs)
    assert (again.concerts_created, again.concerts_updated, again.recordings_created, again.recordings_updated) == \
        (0, 0, 0, 0)
    assert {r.identifier: (r.updated_at, r.rank, r.score) for r in Recording.objects.all()} == before
    assert {c.pk: c.updated_at for c in Concert.objects.all()} == concerts_before


def test_incremental_run_adds_a_recording_to_an_existing_concert(db):
    services.concerts_aggregate_items(docs=[doc("first", source="AUD", rating=3.0, reviews=2)])
    report = services.concerts_aggregate_items(docs=[doc("second", source="SBD", formats=("Flac",), rating=4.8,
                                                         reviews=9)])
    assert report.concerts_created == 0 and report.concerts_updated == 1 and report.recordings_created == 1
    concert = Concert.objects.get()
    assert concert.recordings_count == 2 and concert.best_identifier == "second"
    assert Recording.objects.get(identifier="first").rank == 2


def test_recording_moves_when_its_date_is_corrected(db):
    services.concerts_aggregate_items(docs=[doc("moving", date="1977-05-07"), doc("stays", date="1977-05-08")])
    services.concerts_aggregate_items(docs=[doc("moving", date="1977-05-08")])
    assert list(Concert.objects.values_list("date_text", flat=True)) == ["1977-05-08"]
    assert Concert.objects.get().recordings_count == 2


def test_recording_enrich_fills_tracks_and_length_from_metadata(db, shared_fixtures):
    gd = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"
    meta = parse_metadata(json.loads((shared_fixtures / "internet_archive" / f"metadata_{gd}.json").read_text()))
    services.concerts_aggregate_items(docs=[SearchDoc(
        identifier=gd, creator=meta.creator, date=meta.date, venue=meta.venue, coverage=meta.coverage,
        source=meta.source, formats=("Flac", "VBR MP3", "Ogg Vorbis"), avg_rating=meta.avg_rating,
        num_reviews=meta.num_reviews, title=meta.title)])
    recording = Recording.objects.get(identifier=gd)
    assert recording.source_type == "MTX" and recording.soundboard and recording.lossless
    assert services.recording_enrich(meta=meta) is True
    recording.refresh_from_db()
    assert recording.track_count == 22 and recording.length == pytest.approx(11595.38, abs=1.0)
    assert recording.transferer == "Hunter Seamons"
    assert services.recording_enrich(meta=meta) is False  # nothing new the second time


def test_aggregate_records_a_run(db):
    run = services.concerts_aggregate(docs=[doc("r1"), doc("r2", date="")])
    assert run.status == AggregationRun.Status.SUCCEEDED and run.items_seen == 2 and run.items_undated == 1
    assert run.recordings_created == 1 and run.finished_at is not None


def test_aggregate_command_reads_the_scrape_api(db, replay, settings, data_dir):
    settings.IA_BASE_URL = replay.url
    folder = data_dir / "internet_archive"
    replay.add("/services/search/v1/scrape", query={"cursor": "CURSOR2"}, file=folder / "scrape_page2.json")
    replay.add("/services/search/v1/scrape", file=folder / "scrape_page1.json")
    call_command("aggregate_concerts", "--artist", "Test Tapers", "--since", "2020-01-01")
    concert = Concert.objects.get()
    assert concert.recordings_count == 2 and concert.date_text == "2001-02-03" and concert.venue == "The Lab"
    run = AggregationRun.objects.get()
    assert run.items_seen == 3 and run.items_undated == 1
    query = replay.requests_to("/services/search/v1/scrape")[0].param("q")
    assert 'creator:"Test Tapers"' in query and "addeddate:[2020-01-01 TO null]" in query
    assert "NOT collection:stream_only" in query
    call_command("aggregate_concerts", "--artist", "Test Tapers")
    assert AggregationRun.objects.order_by("-pk").first().recordings_created == 0


def test_aggregate_command_reports_an_archive_failure(db, replay, settings):
    settings.IA_BASE_URL = replay.url
    replay.add("/services/search/v1/scrape", status=400, json_body={"error": "bad query"})
    with pytest.raises(CommandError, match="archive failed"):
        call_command("aggregate_concerts")


def test_incremental_task_uses_the_last_run(db, replay, settings, data_dir):
    from concerts.tasks import concerts_aggregate_incremental

    settings.IA_BASE_URL = replay.url
    replay.add("/services/search/v1/scrape", json_body={"items": [], "count": 0, "total": 0})
    concerts_aggregate_incremental.delay()
    concerts_aggregate_incremental.delay()
    second = replay.requests_to("/services/search/v1/scrape")[1].param("q")
    assert f"addeddate:[{dt.date.today() - dt.timedelta(days=1)}" in second


def test_beat_schedule_exists(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="concerts: incremental aggregation")
    assert task.task == "concerts.tasks.concerts_aggregate_incremental" and task.enabled


def test_aggregate_writes_json_defaults_as_json_lists(db):
    """On PostgreSQL new rows arrive by COPY: an empty list default must land as [] (not as an array or {})."""
    services.concerts_aggregate_items(docs=[doc("json.a"), doc("json.b", date="1977-05-09")])
    assert list(Recording.objects.values_list("setlist_notes", flat=True)) == [[], []]
    assert list(Concert.objects.values_list("setlist_disagreements", flat=True)) == [[], []]
    assert not Concert.objects.filter(is_demo=True).exists()


def test_aggregate_takes_a_moved_recordings_old_concert_into_account(db):
    """A recording re-dated into a concert this run creates leaves its old concert ranked without it."""
    services.concerts_aggregate_items(docs=[doc("old.a", date="1977-05-07", rating=4.0, reviews=3),
                                            doc("old.b", date="1977-05-07", rating=3.0, reviews=3)])
    report = services.concerts_aggregate_items(docs=[doc("old.a", date="1977-05-10", rating=4.0, reviews=3)])
    assert report.concerts_created == 1 and report.recordings_updated >= 1
    left = Concert.objects.get(date_text="1977-05-07")
    assert left.recordings_count == 1 and left.best_identifier == "old.b"
    assert Recording.objects.get(identifier="old.b").rank == 1
    assert Recording.objects.get(identifier="old.a").concert.date_text == "1977-05-10"
