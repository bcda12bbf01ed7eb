"""Song pages, artist song index, header search, "on this day" (page, card, API), setlist and quality APIs."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from common.selectors import global_search, home_cards
from concerts import services
from concerts.models import Concert, Recording, RecordingQuality, Song
from integrations.internet_archive.types import SearchDoc

SHOWS = [  # (identifier, date, description)
    ("gd77-04-23", "1977-04-23", "Set 1\nBertha\nScarlet Begonias ->\nFire On The Mountain\nE: U.S. Blues"),
    ("gd77-05-08", "1977-05-08", "Set 1\nScarlet Begonias >\nFire on the Mountain\nSet 2\nMorning Dew"),
    ("gd78-04-23", "1978-04-23", "Set 1\nBertha\nSet 2\nScarlet Begonias\nE: Morning Dew"),
    ("gd79-01-01", "1979-01-01", "Set 1\nDeal"),
]


@pytest.fixture
def songs(db):
    services.concerts_aggregate_items(docs=[
        SearchDoc(identifier=i, creator="Grateful Dead", date=d, venue=f"Venue {d}", formats=("Flac",), title=i)
        for i, d, _ in SHOWS] + [SearchDoc(identifier="ph94-04-23", creator="Phish", date="1994-04-23",
                                           formats=("Flac",), title="ph")], enrich=False)
    lengths = {"gd77-04-23": 600.0, "gd77-05-08": 900.0, "gd78-04-23": 300.0}
    for identifier, _, description in SHOWS:
        recording = Recording.objects.get(identifier=identifier)
        services.recording_setlist_store(recording=recording, tracks=[], description=description)
        recording.setlist.filter(title__istartswith="scarlet").update(length=lengths.get(identifier),
                                                                     file_name=f"{identifier}t02.flac")
        services.concert_setlist_agree(concert=recording.concert)
    return Song.objects.get(title="Scarlet Begonias")


def test_song_page_lists_performances_and_stats(client, songs):
    response = client.get(f"/concerts/songs/{songs.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-play-recording="') == 3  # one play button per performance
    assert 'data-play-recording="gd77-05-08" data-play-file="gd77-05-08t02.flac"' in html
    stats = response.context["stats"]
    assert stats["times_played"] == 3
    assert stats["first"]["date"] == "1977-04-23" and stats["last"]["date"] == "1978-04-23"
    assert stats["longest"]["date"] == "1977-05-08" and stats["shortest"]["date"] == "1978-04-23"
    assert stats["gap"] == 1  # one show (1979-01-01) since it was last played
    performances = response.context["performances"]
    assert [(p["segue_in"], p["segue_out"]) for p in performances] == [(False, True), (False, True), (False, False)]
    assert 'id="song-chart"' in html


def test_song_page_filters_a_year_and_unknown_song_is_404(client, songs):
    response = client.get(f"/concerts/songs/{songs.pk}/?year=1977")
    assert [p["date"] for p in response.context["performances"]] == ["1977-04-23", "1977-05-08"]
    assert client.get("/concerts/songs/999999/").status_code == 404
    assert client.get(f"/concerts/songs/{songs.pk}/?year=abc").status_code == 200


def test_artist_song_index_sorts_by_times_played_last_played_and_length(client, songs):
    slug = songs.artist_slug
    played = client.get(f"/concerts/artists/{slug}/songs/?order=played").context["page"].object_list
    assert [s.title for s in played][:1] == ["Scarlet Begonias"]
    last = [s.title for s in client.get(f"/concerts/artists/{slug}/songs/?order=last").context["page"].object_list]
    assert last[0] == "Deal"
    length = [s.title for s in client.get(f"/concerts/artists/{slug}/songs/?order=length").context["page"]]
    assert length[0] == "Scarlet Begonias"
    partial = client.get(f"/concerts/artists/{slug}/songs/?order=bogus", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content and b"Scarlet Begonias" in partial.content
    assert client.get("/concerts/artists/nobody/songs/").status_code == 404


def test_header_search_finds_songs_with_a_year(client, songs):
    groups = global_search(user=None, query="scarlet begonias 1977")
    songs_group = next(g for g in groups if g["section"] == "songs")
    assert songs_group["results"][0]["title"] == "Scarlet Begonias"
    assert songs_group["results"][0]["url"].endswith("?year=1977")
    assert "2 performances in 1977" in songs_group["results"][0]["subtitle"]


def test_on_this_day_page_lists_concerts_on_a_date_across_years(client, songs):
    response = client.get("/concerts/on-this-day/?date=04-23")
    dates = [c.date_text for c in response.context["page"]]
    assert dates == ["1994-04-23", "1978-04-23", "1977-04-23"]
    one = client.get("/concerts/on-this-day/?date=04-23&artist=phish")
    assert [c.artist for c in one.context["page"]] == ["Phish"]
    bad = client.get("/concerts/on-this-day/?date=13-45")
    assert bad.status_code == 400 and b"MM-DD" in bad.content


def test_on_this_day_card_on_the_home_page(client, songs, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 4, 23))
    card = next(c for c in home_cards(user=None) if c["name"] == "on_this_day")
    assert [c.date_text for c in card["concerts"]] == ["1994-04-23", "1978-04-23", "1977-04-23"]
    assert b"1977 \xc2\xb7 Grateful Dead" in client.get("/").content


def test_on_this_day_api(client, songs):
    body = client.get("/api/v1/concerts/on-this-day?date=04-23&artist=Grateful Dead").json()
    assert [c["date"] for c in body["items"]] == ["1978-04-23", "1977-04-23"]
    bad = client.get("/api/v1/concerts/on-this-day?date=02-30")
    assert bad.status_code == 422 and "date" in str(bad.json()["detail"])
    assert client.get("/api/v1/concerts/on-this-day?date=02-29").status_code == 200
    assert client.get("/api/v1/concerts/on-this-day?date=" + "1" * 6).status_code == 422


def test_setlist_api_gives_sets_segues_and_disagreements(client, songs):
    concert = Concert.objects.get(date_text="1977-04-23")
    body = client.get(f"/api/v1/concerts/{concert.pk}/setlist").json()
    assert body["source_identifier"] == "gd77-04-23" and body["disagreements"] == []
    assert [(s["name"], [x["title"] for x in s["songs"]]) for s in body["sets"]] == [
        ("Set 1", ["Bertha", "Scarlet Begonias", "Fire On The Mountain"]), ("Encore", ["U.S. Blues"])]
    assert body["sets"][0]["songs"][1]["segue_out"] and body["sets"][0]["songs"][2]["segue_in"]
    assert client.get("/api/v1/concerts/999999/setlist").status_code == 404


def test_songs_api_lists_filters_and_details(client, songs):
    body = client.get("/api/v1/songs?artist=Grateful Dead&q=scarlet").json()
    assert [s["title"] for s in body["items"]] == ["Scarlet Begonias"] and body["items"][0]["times_played"] == 3
    detail = client.get(f"/api/v1/songs/{songs.pk}").json()
    assert detail["stats"]["times_played"] == 3 and detail["stats"]["gap"] == 1
    assert detail["stats"]["first_played"] == "1977-04-23" and detail["stats"]["longest"]["length"] == 900.0
    assert [p["date"] for p in detail["performances"]] == ["1977-04-23", "1977-05-08", "1978-04-23"]
    assert client.get("/api/v1/songs/999999").status_code == 404
    too_long = client.get("/api/v1/songs?q=" + "x" * 201)
    assert too_long.status_code == 422 and "q" in str(too_long.json()["detail"])
    assert client.get("/api/v1/songs?order=bogus").status_code == 422


def test_quality_api_and_concert_page_show_the_card(client, songs):
    recording = Recording.objects.get(identifier="gd77-04-23")
    RecordingQuality.objects.create(recording=recording, duration=1200.0, bandwidth_hz=16000.0, shelf_hz=16000.0,
                                    lossy_sourced=True, reasons=["FLAC but lossy-sourced (16 kHz shelf)"],
                                    tracks=[{"file_name": "t1.flac", "duration": 1200.0, "sample_rate": 44100,
                                             "channels": 2, "bandwidth_hz": 16000.0, "shelf_hz": 16000.0,
                                             "clipping_ratio": 0.0, "loudness_lufs": -18.0, "loudness_range": 6.0,
                                             "peak": 0.9}])
    body = client.get("/api/v1/recordings/gd77-04-23/quality").json()
    assert body["lossy_sourced"] and body["reasons"] == ["FLAC but lossy-sourced (16 kHz shelf)"]
    assert body["tracks"][0]["loudness_lufs"] == -18.0
    assert client.get("/api/v1/recordings/gd77-05-08/quality").status_code == 404
    assert client.get("/api/v1/recordings/" + "x" * 101 + "/quality").status_code == 422
    page = client.get(f"/concerts/{recording.concert_id}/").content.decode()
    assert "FLAC but lossy-sourced (16 kHz shelf)" in page
    assert "Scarlet Begonias" in page and 'id="setlist"' in page


def test_songs_api_declares_error_answers_in_openapi(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/songs/{song_id}", "/api/v1/concerts/{concert_id}/setlist",
                 "/api/v1/recordings/{identifier}/quality", "/api/v1/concerts/{concert_id}"):
        assert {"404", "422"} <= set(schema["paths"][path]["get"]["responses"])


def test_song_page_escapes_what_the_archive_wrote(client, songs):
    Concert.objects.filter(date_text="1977-05-08").update(venue='<script>alert(1)</script>', location='"Ithaca"')
    html = client.get(f"/concerts/songs/{songs.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;Ithaca&quot;" in html


def test_performance_rows_escape_attributes_and_leave_plain_values_alone():
    from concerts.templatetags.concerts_tags import performance_rows

    row = {"concert_id": 7, "date": "1977-05-08", "venue": "Barton Hall", "location": "Ithaca, NY", "set": "Set 1",
           "length": 134.0, "segue_in": True, "segue_out": True, "reprise": False,
           "identifier": "gd1977-05-08.sbd", "file_name": 'a"b&c<d>\'.flac'}
    html = performance_rows([row])
    assert 'data-play-file="a&quot;b&amp;c&lt;d&gt;&#x27;.flac"' in html  # nothing breaks out of the attribute
    assert ">1977-05-08</a>" in html and "Barton Hall" in html and "2:14" in html
    assert "&gt; in · out &gt;" in html
