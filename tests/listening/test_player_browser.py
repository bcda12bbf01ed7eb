"""The site-wide player in a real browser (Playwright, Debian's Chromium): it keeps playing through boosted
navigation, preloads the next track, seeks from ?t=, sets the Media Session, plays a 21-minute track to its end,
and its service worker serves a kept show with the browser offline.

The audio is generated here: short Ogg Vorbis sine tones, and one 21-minute track (8 kHz mono, so it stays small).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.conf import settings

from tests.conftest import browser_login

pytestmark = pytest.mark.browser
ITEM = "listeningtest2026-01-01.sbd.ogg"
TRACKS = [("d1t01.ogg", "Opener", 30.0), ("d1t02.ogg", "Second Song", 12.0), ("d1t03.ogg", "Dark Star Jam", 21 * 60.0),
          ("d1t04.ogg", "Encore", 6.0)]


def _tone(path: Path, seconds: float, freq: float) -> None:
    # Written in 5-second blocks: libsndfile's Vorbis encoder crashes on one very long write.
    rate, total = 8000, int(seconds * 8000)
    with sf.SoundFile(str(path), "w", rate, 1, format="OGG", subtype="VORBIS") as out:
        for start in range(0, total, rate * 5):
            t = np.arange(start, min(start + rate * 5, total)) / rate
            out.write((0.2 * np.sin(2 * np.pi * freq * t)).astype("float32"))


@pytest.fixture
def library(owner, transactional_db):
    """The owner's verified local download of ITEM: four tracks on disk, served by archive's file view."""
    from archive.models import Download

    folder = Path(settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / ITEM
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, (name, title, seconds) in enumerate(TRACKS, start=1):
        path = folder / name
        if not path.exists():
            _tone(path, seconds, 220.0 * number)
        rows.append(Download.objects.create(
            user=owner, identifier=ITEM, file_name=name, title="Listening Test Live 2026-01-01", track_title=title,
            track=number, creator="The Test Tapers", format="Ogg Vorbis", length=seconds,
            status=Download.Status.COMPLETED, path=str(path.relative_to(settings.MEDIA_ROOT)),
            bytes_done=path.stat().st_size, bytes_total=path.stat().st_size))
    return rows


def _state(page) -> dict:
    return page.evaluate("() => window.StylusPlayer.state()")


def _start(page, server, file: str = "", t: str = "") -> None:
    query = "&".join(x for x in (f"file={file}" if file else "", f"t={t}" if t else "") if x)
    page.goto(f"{server.url}/listening/play/{ITEM}/" + (f"?{query}" if query else ""))
    page.wait_for_function("() => window.StylusPlayer !== undefined")
    if not _state(page)["playing"]:
        page.click("main [data-play-recording]")
    page.wait_for_function("() => window.StylusPlayer.state().playing && window.StylusPlayer.state().position > 0.2")


def test_player_keeps_playing_the_same_track_through_three_boosted_links(asgi_server, page, owner, library):
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server)
    first = _state(page)
    assert (first["index"], first["track"]["title"]) == (0, "Opener")
    assert page.evaluate("() => document.body.getAttribute('hx-boost')") == "true"  # switched on by the first play
    page.evaluate("() => { window.__sameDocument = true; document.getElementById('stylus-player').dataset.marker = 'kept'; }")
    for link in ("a.brand", 'nav.mainnav a[href^="/concerts"]', 'a[href="/listening/"]'):
        before = page.url
        page.evaluate("() => { window.__settled = false;"
                      " document.addEventListener('htmx:afterSettle', () => { window.__settled = true; }, {once: true}); }")
        page.click(link)
        page.wait_for_function("u => window.location.href !== u", arg=before)
        # htmx sets the new URL before it has swapped and settled the page.
        page.wait_for_function("() => window.__settled && document.getElementById('stylus-player') !== null")
        state = _state(page)
        assert state["playing"], f"stopped after following {link}"
        assert (state["index"], state["track"]["title"]) == (0, "Opener")
        assert page.evaluate("() => window.__sameDocument === true"), "the link reloaded the page"
        assert page.evaluate("() => document.getElementById('stylus-player').dataset.marker") == "kept"
    assert page.url.endswith("/listening/")
    assert page.locator("h1").first.inner_text() == "Listening"


def test_player_preloads_the_next_track_and_sets_the_media_session(asgi_server, page, owner, library):
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server)
    page.wait_for_function("() => { const s = window.StylusPlayer.state(); return s.loaded.includes(s.tracks[1]); }")
    state = _state(page)
    assert state["index"] == 0 and state["playing"] and state["position"] < 29  # loaded while the first still plays
    meta = page.evaluate("() => { const m = navigator.mediaSession.metadata;"
                         " return {title: m.title, artist: m.artist, album: m.album, art: m.artwork.length}; }")
    assert meta == {"title": "Opener", "artist": "The Test Tapers", "album": "Listening Test Live 2026-01-01", "art": 1}
    page.wait_for_function("() => navigator.mediaSession.playbackState === 'playing'")


def test_player_deep_link_t_starts_there(asgi_server, page, owner, library):
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server, file="d1t01.ogg", t="0:20")
    # The position may read 0 for a moment while the engine takes the seek; it must reach 0:20, not run from 0.
    page.wait_for_function("() => window.StylusPlayer.state().position >= 19.5")
    state = _state(page)
    assert state["track"]["file"] == "d1t01.ogg"
    assert state["position"] <= 26


def test_player_plays_a_21_minute_track_to_its_end(asgi_server, page, owner, library):
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server, file="d1t03.ogg", t="20:54")
    assert _state(page)["track"]["title"] == "Dark Star Jam"
    page.wait_for_function("() => window.StylusPlayer.state().index === 3", timeout=30_000)
    assert _state(page)["track"]["title"] == "Encore"


def test_service_worker_serves_a_kept_track_offline(asgi_server, page, owner, library):
    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/listening/storage/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    _start(page, asgi_server)
    page.evaluate("() => window.StylusPlayer.keepOffline()")
    page.wait_for_function("() => Object.keys(JSON.parse(localStorage.getItem('stylus-kept') || '{}')).length === 1")
    url = _state(page)["tracks"][1]
    page.context.set_offline(True)
    result = page.evaluate("""async (u) => {
        const full = await fetch(u);
        const part = await fetch(u, {headers: {Range: 'bytes=0-99'}});
        return {status: full.status, size: (await full.arrayBuffer()).byteLength, part: part.status,
                partSize: (await part.arrayBuffer()).byteLength};
    }""", url)
    assert result["status"] == 200 and result["size"] == library[1].bytes_total
    assert (result["part"], result["partSize"]) == (206, 100)
    page.context.set_offline(False)
    page.goto(f"{asgi_server.url}/listening/storage/")
    assert page.locator(f'[data-kept-identifier="{ITEM}"]').count() == 1
