"""Demo concerts: descriptions with setlists, songs, a measured quality card; unload removes exactly them."""
from __future__ import annotations

from io import StringIO

from concerts import services
from concerts.models import Concert, Performance, Recording, RecordingQuality, Song
from integrations.internet_archive.types import SearchDoc


def test_demo_load_gives_setlists_songs_and_unload_removes_only_demo_rows(owner, settings, tmp_path):
    import archive.demo
    import concerts.demo

    settings.MEDIA_ROOT = str(tmp_path)
    services.concerts_aggregate_items(docs=[SearchDoc(identifier="real.show", creator="Real Band", date="1990-01-01",
                                                      formats=("Flac",))], enrich=False)
    services.recording_setlist_store(recording=Recording.objects.get(identifier="real.show"), tracks=[],
                                     description="Set 1\nReal Song")
    archive.demo.load(user=owner, staff=owner, stdout=StringIO())
    concerts.demo.load(user=owner, staff=owner, stdout=StringIO())
    demo = Concert.objects.filter(is_demo=True)
    assert demo.count() == 6 and not Concert.objects.get(artist="Real Band").is_demo
    assert all(c.setlist_identifier for c in demo)
    barton = demo.get(date_text="1977-05-08")
    # the playable tape holds three songs: its file titles win, and the fuller setlists are kept as disagreements
    assert list(Performance.objects.filter(concert=barton).values_list("title", flat=True)) == [
        "Bertha", "Scarlet Begonias", "Fire on the Mountain"]
    assert {d["identifier"] for d in barton.setlist_disagreements} == {
        "stylusband1977-05-08.aud.demo.flac16", "stylusband1977-05-08.mtx.demo.mp3"}
    aud = Recording.objects.get(identifier="stylusband1977-05-08.aud.demo.flac16")
    assert ("Drums", True) in list(aud.setlist.values_list("title", "non_song"))  # configured for this artist
    assert Performance.objects.get(concert=barton, title="Scarlet Begonias").file_name == "sb77-05-08d1t02.wav"
    assert RecordingQuality.objects.filter(recording__identifier=concerts.demo.PLAYABLE).exists()
    assert Song.objects.filter(is_demo=True, title="Scarlet Begonias").exists()
    concerts.demo.unload(stdout=StringIO())
    assert not Concert.objects.filter(is_demo=True).exists() and not Song.objects.filter(is_demo=True).exists()
    assert Concert.objects.filter(artist="Real Band").exists() and Song.objects.filter(title="Real Song").exists()
