"""Songs: title normalisation, rapidfuzz grouping per artist, and staff merge/split in the admin."""
from __future__ import annotations

import pytest

from concerts import services
from concerts.models import Performance, Recording, SetlistEntry, Song, SongAlias
from concerts.song_match import group_titles, normalise_title
from integrations.internet_archive.types import SearchDoc


@pytest.mark.parametrize("a,b", [
    ("Playin' in the Band", "Playing In The Band"),
    ("Goin' Down The Road Feeling Bad", "Going Down the Road Feelin' Bad"),
    ("St. Stephen", "Saint Stephen"),
    ("Scarlet Begonias ->", "scarlet begonias"),
    ("The Music Never Stopped", "Music Never Stopped"),
    ("Minglewood Blues", "New Minglewood Blues"),
    ("Truckin'", "Truckin"),
    ("Help on the Way > Slipknot!", "Help On The Way -> Slipknot"),
])
def test_song_grouping_merges(a, b):
    groups = group_titles([a, b])
    assert groups[normalise_title(a).key] == groups[normalise_title(b).key]


@pytest.mark.parametrize("a,b", [
    ("Jack Straw", "Jack-A-Roe"),
    ("Sugaree", "Sugar Magnolia"),
    ("Not Fade Away", "Not Fade Away Jam"),
    ("Stella Blue", "Sugar Magnolia"),
    ("Me and My Uncle", "Me and Bobby McGee"),
    ("Dark Star", "Dark Hollow"),
])
def test_song_grouping_keeps_apart(a, b):
    groups = group_titles([a, b])
    assert groups[normalise_title(a).key] != groups[normalise_title(b).key]


def test_normalise_title_keeps_reprise_as_a_flag():
    assert normalise_title("Playing In The Band (reprise)").reprise
    assert normalise_title("Playing In The Band (reprise)").key == normalise_title("Playin' in the Band").key


def _recording(identifier: str, artist: str = "Grateful Dead", date: str = "1977-05-08") -> Recording:
    services.concerts_aggregate_items(docs=[SearchDoc(identifier=identifier, creator=artist, date=date,
                                                      formats=("Flac",))], enrich=False)
    return Recording.objects.get(identifier=identifier)


def test_song_book_one_song_per_artist_with_aliases(db):
    services.recording_setlist_store(recording=_recording("a"), tracks=[],
                                     description="Set 1\nPlayin' in the Band\nJack Straw\nJack-A-Roe")
    services.recording_setlist_store(recording=_recording("b", date="1977-05-09"), tracks=[],
                                     description="Set 1\nPlaying In The Band (reprise)")
    services.recording_setlist_store(recording=_recording("c", artist="Other Band"), tracks=[],
                                     description="Set 1\nPlaying In The Band")
    gd = Song.objects.filter(artist_key="grateful dead")
    assert sorted(gd.values_list("title", flat=True)) == ["Jack Straw", "Jack-A-Roe", "Playin' in the Band"]
    playing = gd.get(title="Playin' in the Band")
    assert SetlistEntry.objects.get(recording__identifier="b").song == playing
    assert SetlistEntry.objects.get(recording__identifier="b").reprise
    assert Song.objects.filter(artist_key="other band").count() == 1  # songs never cross artists


def test_admin_merge_and_split_songs(db, staff_client):
    services.recording_setlist_store(recording=_recording("m"), tracks=[], description="Set 1\nDark Star\nDark Star Jam")
    services.concert_setlist_agree(concert=Recording.objects.get(identifier="m").concert)
    star, jam = Song.objects.get(title="Dark Star"), Song.objects.get(title="Dark Star Jam")
    response = staff_client.post("/admin/concerts/song/", {"action": "merge_songs",
                                                           "_selected_action": [star.pk, jam.pk]})
    assert response.status_code == 302
    assert list(Song.objects.values_list("title", flat=True)) == ["Dark Star"]
    assert set(Performance.objects.values_list("song_id", flat=True)) == {star.pk}
    alias = SongAlias.objects.get(key="dark star jam")
    response = staff_client.post("/admin/concerts/songalias/", {"action": "split_aliases",
                                                                "_selected_action": [alias.pk]})
    assert response.status_code == 302
    split = Song.objects.get(key="dark star jam")
    assert Performance.objects.get(title="Dark Star Jam").song == split
    assert Performance.objects.get(title="Dark Star").song == star
