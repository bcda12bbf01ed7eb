"""Reconciliation: file titles against the description and info file, per recording and per concert."""
from __future__ import annotations

import json

import pytest

from concerts import services
from concerts.models import ArtistSongConfig, Concert, Performance, Recording, SetlistEntry
from concerts.setlist_parse import AudioTrack
from concerts.setlist_reconcile import reconcile
from integrations.internet_archive.types import SearchDoc

GD = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"


def _doc(identifier: str, *, creator: str = "Grateful Dead", date: str = "1977-04-23", rating: float | None = None,
         reviews: int = 0, source: str = "SBD", formats: tuple[str, ...] = ("Flac",)) -> SearchDoc:
    return SearchDoc(identifier=identifier, creator=creator, date=date, venue="Civic Center", source=source,
                     formats=formats, avg_rating=rating, num_reviews=reviews, title=f"{creator} {date}")


def test_reconcile_real_item_file_titles_win_and_sets_come_from_the_description(shared_fixtures):
    data = json.loads((shared_fixtures / "internet_archive" / f"metadata_{GD}.json").read_text())
    tracks = [AudioTrack(name=f["name"], title=f["title"], track=int(f["track"]), length=float(f["length"]))
              for f in data["files"] if f["format"] == "Flac"]
    result = reconcile(tracks=tracks, description=data["metadata"]["description"])
    assert result.source == "files" and len(result.lines) == 22
    by_title = {line.title: line for line in result.lines}
    # the files say "Minglewood Blues"; the description "New Minglewood Blues": the file title is kept, noted
    assert "Minglewood Blues" in by_title and "New Minglewood Blues" not in by_title
    assert {"kind": "title", "files": "Minglewood Blues", "text": "New Minglewood Blues"} in result.notes
    # sets come from the description
    assert by_title["Sugaree"].set_label == "1" and by_title["Fire On The Mountain"].set_label == "1"
    assert by_title["Estimated Prophet"].set_label == "2" and by_title["Not Fade Away"].set_label == "2"
    assert by_title["One More Saturday Night"].set_label == "E"
    # tracks only the files have are kept, and the disagreement is recorded
    assert {"kind": "only_in_files", "title": "Tuning"} in result.notes
    assert {"kind": "only_in_files", "title": "Take A Step Back"} in result.notes
    assert by_title["Scarlet Begonias"].segue and by_title["Scarlet Begonias"].file_name == "gd77-04-23d2t01.flac"


def test_reconcile_prefers_the_info_file_over_the_description_when_files_have_no_titles():
    tracks = [AudioTrack(name=f"x d1t0{i}.flac", length=60.0 * i) for i in (1, 2, 3)]
    result = reconcile(tracks=tracks, description="Set 1\nWrong Song\nOther",
                       info_text="Recorded at the venue.\n\nd1t01 Bertha\nd1t02 Scarlet Begonias ->\nd1t03 Fire On The Mountain")
    assert result.source == "info"
    assert [(line.title, line.file_name, line.segue) for line in result.lines] == [
        ("Bertha", "x d1t01.flac", False), ("Scarlet Begonias", "x d1t02.flac", True),
        ("Fire On The Mountain", "x d1t03.flac", False)]


def test_reconcile_with_no_setlist_anywhere_is_empty():
    result = reconcile(tracks=[AudioTrack(name="a.flac")], description="Great show. Thanks to all the tapers.")
    assert result.lines == [] and result.source == ""


def test_concert_setlist_best_recording_wins_and_disagreement_is_kept(db):
    services.concerts_aggregate_items(docs=[
        _doc("gd77.best", rating=4.9, reviews=20), _doc("gd77.other", source="AUD")], enrich=False)
    best, other = Recording.objects.get(identifier="gd77.best"), Recording.objects.get(identifier="gd77.other")
    assert best.rank == 1
    services.recording_setlist_store(recording=best, tracks=[],
                                     description="Set 1\nBertha\nScarlet Begonias >\nFire On The Mountain\nE: U.S. Blues")
    services.recording_setlist_store(recording=other, tracks=[],
                                     description="Set 1\nBertha\nScarlet Begonias\nSet 2\nMorning Dew")
    concert = best.concert
    services.concert_setlist_agree(concert=concert)
    concert.refresh_from_db()
    assert concert.setlist_identifier == "gd77.best"
    assert list(Performance.objects.filter(concert=concert).values_list("title", "set_label", "segue_in",
                                                                          "segue_out")) == [
        ("Bertha", "1", False, False), ("Scarlet Begonias", "1", False, True),
        ("Fire On The Mountain", "1", True, False), ("U.S. Blues", "E", False, False)]
    assert concert.setlist_disagreements == [{"identifier": "gd77.other", "missing": ["Fire On The Mountain", "U.S. Blues"],
                                              "extra": ["Morning Dew"], "order_differs": False}]
    services.concert_setlist_agree(concert=concert)  # idempotent
    assert Performance.objects.filter(concert=concert).count() == 4


def test_setlist_non_songs_are_marked_and_drums_space_only_where_configured(db):
    services.concerts_aggregate_items(docs=[_doc("gd.a"), _doc("other.a", creator="Other Band")], enrich=False)
    ArtistSongConfig.objects.create(artist_key="grateful dead", non_songs="Drums\nSpace")
    description = "Set 1\nTuning\nPlaying In The Band >\nDrums >\nSpace >\nCrowd"
    for identifier in ("gd.a", "other.a"):
        services.recording_setlist_store(recording=Recording.objects.get(identifier=identifier), tracks=[],
                                         description=description)
    gd = dict(SetlistEntry.objects.filter(recording__identifier="gd.a").values_list("title", "non_song"))
    other = dict(SetlistEntry.objects.filter(recording__identifier="other.a").values_list("title", "non_song"))
    assert gd == {"Tuning": True, "Playing In The Band": False, "Drums": True, "Space": True, "Crowd": True}
    assert other == {"Tuning": True, "Playing In The Band": False, "Drums": False, "Space": False, "Crowd": True}
    assert SetlistEntry.objects.get(recording__identifier="gd.a", title="Drums").song is None


@pytest.mark.parametrize("artist", ["", "Grateful Dead"])
def test_extract_setlists_command_is_idempotent(db, artist):
    from django.core.management import call_command

    services.concerts_aggregate_items(docs=[_doc("gd.cmd")], enrich=False)
    Recording.objects.filter(identifier="gd.cmd").update(description="Set 1\nBertha\nDeal")
    args = ["--offline"] + (["--artist", artist] if artist else [])
    call_command("extract_setlists", *args)
    first = list(Performance.objects.values_list("title", "song_id"))
    call_command("extract_setlists", *args)
    assert list(Performance.objects.values_list("title", "song_id")) == first == [
        ("Bertha", first[0][1]), ("Deal", first[1][1])]
    assert Concert.objects.get().setlist_identifier == "gd.cmd"


def test_concert_page_shows_the_agreed_setlist_and_the_disagreement(db, client):
    services.concerts_aggregate_items(docs=[
        _doc("gd77.best", rating=4.9, reviews=20), _doc("gd77.other", source="AUD")], enrich=False)
    best, other = Recording.objects.get(identifier="gd77.best"), Recording.objects.get(identifier="gd77.other")
    services.recording_setlist_store(recording=best, tracks=[], description="Set 1\nBertha\nScarlet Begonias >\nFire On The Mountain")
    services.recording_setlist_store(recording=other, tracks=[], description="Set 1\nBertha\nScarlet Begonias")
    services.concert_setlist_agree(concert=best.concert)
    html = client.get(f"/concerts/{best.concert_id}/").content.decode()
    assert "Set 1" in html and "Fire On The Mountain" in html
    assert "1 recording disagree" in html and "lacks Fire On The Mountain" in html
    assert "not measured (ranked by metadata)" in html


def test_extract_setlists_command_goes_on_when_the_archive_lacks_an_item(db, replay, settings, shared_fixtures):
    """One item gone from the archive (404) is counted and keeps its stored setlist; the others are extracted."""
    from io import StringIO

    from django.core.management import call_command

    gd = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"
    settings.IA_BASE_URL = replay.url
    replay.add(f"/metadata/{gd}", file=shared_fixtures / "internet_archive" / f"metadata_{gd}.json")
    replay.add("/metadata/gd.gone", status=404, json_body={"error": "not found"})
    replay.add(f"/download/{gd}/gd1977-04-23.97596.txt", body=b"d1t01 Tuning\n")
    services.concerts_aggregate_items(docs=[_doc("gd.gone", date="1977-04-22"), _doc(gd, date="1977-04-23")],
                                      enrich=False)
    gone = Recording.objects.get(identifier="gd.gone")
    services.recording_setlist_store(recording=gone, tracks=[], description="Set 1\nBertha\nDeal")
    out = StringIO()
    call_command("extract_setlists", stdout=out)
    assert "1 recordings unavailable" in out.getvalue()
    assert list(gone.setlist.values_list("title", flat=True)) == ["Bertha", "Deal"]  # kept
    assert Performance.objects.filter(concert__date_text="1977-04-23").count() == 22


def test_extract_setlists_offline_keeps_a_setlist_taken_from_file_titles(db):
    """The titled files said three songs where the description lists five: an offline re-run must agree."""
    from django.core.management import call_command

    services.concerts_aggregate_items(docs=[_doc("gd.files")], enrich=False)
    recording = Recording.objects.get(identifier="gd.files")
    description = "Set 1\nBertha\nScarlet Begonias ->\nFire On The Mountain\nSet 2\nEstimated Prophet\nE: U.S. Blues"
    Recording.objects.filter(pk=recording.pk).update(description=description)
    recording.refresh_from_db()
    services.recording_setlist_store(recording=recording, description=description, tracks=[
        AudioTrack(name="t01.flac", title="Bertha", track=1, length=300.0),
        AudioTrack(name="t02.flac", title="Scarlet Begonias ->", track=2, length=600.0),
        AudioTrack(name="t03.flac", title="Fire on the Mountain", track=3, length=700.0)])
    before = list(recording.setlist.order_by("position").values_list("title", "segue", "file_name", "set_label"))
    assert [row[0] for row in before] == ["Bertha", "Scarlet Begonias", "Fire on the Mountain"]
    call_command("extract_setlists", "--offline")
    assert list(recording.setlist.order_by("position").values_list("title", "segue", "file_name", "set_label")) == before
