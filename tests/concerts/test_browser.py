"""Concert pages in a real browser (Playwright, Debian's Chromium): a concert's agreed setlist and where its
recordings disagree, a song page reached from it, "on this day" with its date form, and a performance's play
button putting the recording's tracks in the player bar.

The audio is generated here: three short Ogg Vorbis tones, the owner's verified download of the best recording.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings

from concerts import services
from concerts.models import Concert, Recording, Song
from concerts.setlist_parse import AudioTrack
from integrations.internet_archive.types import SearchDoc
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
BEST = "browsertest1977-04-23.sbd.ogg"
OTHER = "browsertest1977-04-23.aud.flac"
TRACKS = [("d1t01.ogg", "Bertha", 8.0), ("d1t02.ogg", "Scarlet Begonias", 12.0), ("d1t03.ogg", "Fire On The Mountain", 6.0)]


def _tone(path: Path, seconds: float, freq: float) -> None:
    rate = 8000
    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), (0.2 * np.sin(2 * np.pi * freq * t)).astype("float32"), rate, format="OGG", subtype="VORBIS")


@pytest.fixture
def concert(transactional_db) -> Concert:
    """The Test Tapers on 1977-04-23 (two recordings whose setlists differ) and 1978-05-08 (no setlist)."""
    services.concerts_aggregate_items(docs=[
        SearchDoc(identifier=BEST, creator="The Test Tapers", date="1977-04-23", venue="Springfield Civic Center",
                  coverage="Springfield, MA", source="SBD", formats=("Ogg Vorbis",), avg_rating=4.8, num_reviews=9,
                  title="The Test Tapers Live 1977-04-23"),
        SearchDoc(identifier=OTHER, creator="The Test Tapers", date="1977-04-23", venue="Springfield Civic Center",
                  source="AUD", formats=("Flac",), title="The Test Tapers Live 1977-04-23 (AUD)"),
        SearchDoc(identifier="browsertest1978-05-08.sbd", creator="The Test Tapers", date="1978-05-08",
                  venue="Barton Hall", formats=("Flac",), title="The Test Tapers Live 1978-05-08"),
    ], enrich=False)
    best = Recording.objects.get(identifier=BEST)
    services.recording_setlist_store(recording=best, description="", tracks=[
        AudioTrack(name=name, title=title + (" ->" if number == 2 else ""), track=number, length=seconds)
        for number, (name, title, seconds) in enumerate(TRACKS, start=1)])
    services.recording_setlist_store(recording=Recording.objects.get(identifier=OTHER), tracks=[],
                                     description="Set 1\nBertha\nScarlet Begonias\nE: Johnny B. Goode")
    services.concert_setlist_agree(concert=best.concert)
    return Concert.objects.get(pk=best.concert_id)


@pytest.fixture
def download(owner, concert):
    """The owner's verified download of the best recording: three tracks on disk, played from Stylus."""
    from archive.models import Download

    folder = Path(settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / BEST
    folder.mkdir(parents=True, exist_ok=True)
    for number, (name, title, seconds) in enumerate(TRACKS, start=1):
        path = folder / name
        if not path.exists():
            _tone(path, seconds, 220.0 * number)
        Download.objects.create(
            user=owner, identifier=BEST, file_name=name, title="The Test Tapers Live 1977-04-23", track_title=title,
            track=number, creator="The Test Tapers", format="Ogg Vorbis", length=seconds,
            status=Download.Status.COMPLETED, path=str(path.relative_to(settings.MEDIA_ROOT)),
            bytes_done=path.stat().st_size, bytes_total=path.stat().st_size)


def test_concert_page_shows_the_agreed_setlist_and_the_disagreement(asgi_server, page, concert):
    page.goto(f"{asgi_server.url}/concerts/{concert.pk}/")
    setlist = page.locator("#setlist")
    assert setlist.locator("ol.setlist__songs li a").all_inner_texts() == [t for _, t, _ in TRACKS]
    assert "Scarlet Begonias" in setlist.locator("li", has_text="Scarlet Begonias").inner_text()
    assert ">" in setlist.locator("li", has_text="Scarlet Begonias").inner_text()  # the segue into Fire
    assert BEST in setlist.inner_text()  # where the agreed setlist came from
    disagreement = setlist.locator("details.setlist__disagreements")
    assert disagreement.locator("summary").inner_text() == "1 recording disagree"
    assert not disagreement.locator("li").is_visible()
    disagreement.locator("summary").click()
    assert OTHER in disagreement.locator("li").inner_text() and disagreement.locator("li").is_visible()
    assert page.locator("[data-best-reason]").inner_text().startswith("soundboard")


def test_song_page_opens_from_the_setlist_with_its_performances(asgi_server, page, concert):
    page.goto(f"{asgi_server.url}/concerts/{concert.pk}/")
    page.click("#setlist a:text-is('Scarlet Begonias')")
    song = Song.objects.get(artist_key="the test tapers", title="Scarlet Begonias")
    page.wait_for_url(f"**/concerts/songs/{song.pk}/")
    assert page.locator("h1").inner_text().startswith("Scarlet Begonias")
    assert "1 performance" in page.locator("main").inner_text()
    button = page.locator(f'[data-play-recording="{BEST}"][data-play-file="d1t02.ogg"]')
    assert button.count() == 1


def test_on_this_day_lists_the_day_across_years_and_its_form_swaps_results(asgi_server, page, concert):
    page.goto(f"{asgi_server.url}/concerts/on-this-day/?date=04-23")
    assert page.locator("h1").inner_text() == "On this day: April 23"
    results = page.locator("#results")
    assert results.locator("li a").all_inner_texts() == ["1977 · The Test Tapers"]
    page.evaluate("() => { window.__sameDocument = true; }")
    page.fill("input[name=date]", "05-08")
    page.click("form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#results').innerText.includes('1978')")
    assert results.locator("li a").all_inner_texts() == ["1978 · The Test Tapers"]
    assert page.evaluate("() => window.__sameDocument") is True  # htmx swapped the results, no page load
    assert "date=05-08" in page.url
    page.goto(f"{asgi_server.url}/concerts/on-this-day/?date=13-45")
    assert page.locator("[role=alert]").inner_text() == "Give the date as MM-DD, e.g. 04-23."


def test_performance_play_button_queues_the_recording_in_the_player_bar(asgi_server, page, owner, concert,
                                                                        download):
    song = Song.objects.get(artist_key="the test tapers", title="Scarlet Begonias")
    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/concerts/songs/{song.pk}/")
    page.wait_for_function("() => window.StylusPlayer !== undefined")
    assert page.locator("#stylus-player").is_hidden()
    page.click(f'[data-play-recording="{BEST}"][data-play-file="d1t02.ogg"]')
    page.wait_for_function("() => { const s = window.StylusPlayer.state();"
                           " return s.track && s.track.file === 'd1t02.ogg' && s.playing && s.position > 0.2; }")
    state = page.evaluate("() => window.StylusPlayer.state()")
    assert state["index"] == 1 and len(state["tracks"]) == 3  # the whole recording is queued, this song current
    assert all("/archive/" in url for url in state["tracks"])  # played from the owner's verified download
    bar = page.locator("#stylus-player")
    assert bar.is_visible() and bar.locator("[data-player-title]").inner_text() == "Scarlet Begonias"
