"""Setlist parsing: the real 1977-04-23 description, set headers, segues, prefixes, entities, prose."""
from __future__ import annotations

import json

import pytest

from concerts.setlist_parse import AudioTrack, attach_files, parse_file_titles, parse_setlist_text

GD = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"


@pytest.fixture
def gd_meta(shared_fixtures):
    return json.loads((shared_fixtures / "internet_archive" / f"metadata_{GD}.json").read_text())


def test_parse_setlist_text_reads_the_real_1977_description(gd_meta):
    lines = parse_setlist_text(gd_meta["metadata"]["description"])
    assert [(line.set_label, line.title) for line in lines] == [
        ("1", "Sugaree"), ("1", "Cassidy"), ("1", "Loser"), ("1", "New Minglewood Blues"), ("1", "Ramble On Rose"),
        ("1", "Me And My Uncle"), ("1", "Row Jimmy"), ("1", "It's All Over Now"), ("1", "Scarlet Begonias"),
        ("1", "Fire On The Mountain"),
        ("2", "Estimated Prophet"), ("2", "Bertha"), ("2", "The Music Never Stopped"), ("2", "Help On The Way"),
        ("2", "Slipknot!"), ("2", "Franklin's Tower"), ("2", "Around And Around"),
        ("2", "Goin' Down The Road Feeling Bad"), ("2", "Not Fade Away"),
        ("E", "One More Saturday Night"),
    ]
    segues = [line.title for line in lines if line.segue]  # "-&gt;" in the description
    assert segues == ["Scarlet Begonias", "Help On The Way", "Slipknot!", "Franklin's Tower", "Around And Around",
                      "Goin' Down The Road Feeling Bad"]
    assert [line.position for line in lines] == list(range(1, 21))


def test_parse_setlist_text_reads_roman_numerals_e_encores_and_gt_segues():
    text = "Set I:\nBertha\nJack Straw >\nSet II\nScarlet Begonias > Fire On The Mountain\nSet III\nMorning Dew\nE: U.S. Blues"
    lines = parse_setlist_text(text)
    assert [(line.set_label, line.title, line.segue) for line in lines] == [
        ("1", "Bertha", False), ("1", "Jack Straw", True), ("2", "Scarlet Begonias", True),
        ("2", "Fire On The Mountain", False), ("3", "Morning Dew", False), ("E", "U.S. Blues", False)]


def test_parse_setlist_text_reads_disc_track_prefixes_and_times():
    text = "Disc 1\nd1t01 Tuning\nd1t02. Sugaree [13:47]\nd1t03 - Scarlet Begonias -->\nDisc 2\nd2t01 Fire On The Mountain 11:02"
    lines = parse_setlist_text(text)
    assert [(line.disc, line.track, line.title, line.segue) for line in lines] == [
        (1, 1, "Tuning", False), (1, 2, "Sugaree", False), (1, 3, "Scarlet Begonias", True),
        (2, 1, "Fire On The Mountain", False)]


def test_parse_setlist_text_unescapes_html_entities_and_tags():
    text = "<p>Set 1<br/>Help On The Way -&amp;gt;<br>Franklin&#39;s Tower &gt;<br />Sugar Magnolia</p>"
    lines = parse_setlist_text(text)
    assert [(line.title, line.segue) for line in lines] == [
        ("Help On The Way", True), ("Franklin's Tower", True), ("Sugar Magnolia", False)]


def test_parse_setlist_text_numbered_lines_without_header_are_one_set():
    lines = parse_setlist_text("01. Jack Straw\n02) Deal\n3 - Loser")
    assert [(line.set_label, line.track, line.title) for line in lines] == [
        ("1", 1, "Jack Straw"), ("1", 2, "Deal"), ("1", 3, "Loser")]


@pytest.mark.parametrize("text", [
    "",
    "A great show from the spring tour. The band was on fire that night.\nThanks to the taper.",
    "Source: SBD > Reel > DAT\nLineage: DAT > CD > EAC > FLAC\nTransfer: Charlie Miller",
    "Recorded by a friend.\nSugaree\nLoser",  # song-like lines with no header or numbering: no guess
])
def test_parse_setlist_text_without_a_setlist_is_empty(text):
    assert parse_setlist_text(text) == []


def test_parse_setlist_text_stops_a_set_at_prose():
    text = "Set 1\nBertha\nLoser\nThe tape flips during the next song, and some of it is lost forever.\nSet 2\nDeal"
    assert [line.title for line in parse_setlist_text(text)] == ["Bertha", "Loser", "Deal"]


def test_parse_file_titles_reads_the_real_file_list(gd_meta):
    tracks = [AudioTrack(name=f["name"], title=f.get("title", ""), track=int(f["track"]), length=float(f["length"]))
              for f in gd_meta["files"] if f["format"] == "Flac"]
    lines = parse_file_titles(tracks)
    assert len(lines) == 22 and lines[0].title == "Tuning" and lines[0].file_name == "gd77-04-23d1t01.flac"
    scarlet = next(line for line in lines if line.title == "Scarlet Begonias")
    assert scarlet.segue and scarlet.file_name == "gd77-04-23d2t01.flac" and scarlet.length == pytest.approx(
        next(float(f["length"]) for f in gd_meta["files"] if f["name"] == "gd77-04-23d2t01.flac"))
    assert parse_file_titles([AudioTrack(name="a.flac", title="Song"), AudioTrack(name="b.flac")]) == []


def test_attach_files_matches_disc_track_prefixes_to_file_names():
    lines = parse_setlist_text("d1t01 Bertha\nd2t01 Deal")
    tracks = [AudioTrack(name="x77d2t01.flac", length=300.0), AudioTrack(name="x77d1t01.flac", length=200.0),
              AudioTrack(name="x77d1t02.flac", length=100.0)]
    attached = attach_files(lines, tracks)
    assert [(line.title, line.file_name, line.length) for line in attached] == [
        ("Bertha", "x77d1t01.flac", 200.0), ("Deal", "x77d2t01.flac", 300.0)]
