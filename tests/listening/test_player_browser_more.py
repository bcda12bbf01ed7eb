"""More of the player in a real browser (Playwright, Debian's Chromium): streaming straight from the archive's own
file URLs (the replay server standing in for IA_BASE_URL) from the archive item page, the queue surviving a
reload (on the server for users, in localStorage for guests), "share this moment", the OFFLINE_CACHE_MB limit on
played tracks (least recently played out first), and the stats charts on /listening/."""
from __future__ import annotations

import copy
import datetime as dt
import time
from urllib.parse import urlparse

import pytest

from tests.conftest import browser_login
from tests.listening.test_player_browser import ITEM, _start, _state, _tone, library  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
IA_ITEM = "streamtest2026-02-02.aud.ogg"
IA_TRACKS = [("st01.ogg", "Streamed Opener", 20.0), ("st02.ogg", "Streamed Second", 8.0)]


@pytest.fixture
def archive(replay, settings, tmp_path_factory):
    """The replay server as the Internet Archive: IA_ITEM's metadata and its Ogg files (Range, CORS as IA sends),
    with the CSP's media-src built from its origin as config/settings/base.py builds it from IA_BASE_URL."""
    folder = tmp_path_factory.mktemp("ia")
    files = []
    for number, (name, title, seconds) in enumerate(IA_TRACKS, start=1):
        _tone(folder / name, seconds, 330.0 * number)
        replay.add(f"/download/{IA_ITEM}/{name}", file=folder / name, headers={"Access-Control-Allow-Origin": "*"})
        files.append({"name": name, "format": "Ogg Vorbis", "source": "derivative", "length": str(seconds),
                      "title": title, "creator": "The Stream Tapers", "track": str(number),
                      "size": str((folder / name).stat().st_size)})
    meta = {"metadata": {"identifier": IA_ITEM, "title": "Stream Test Live 2026-02-02", "creator": "The Stream Tapers",
                         "mediatype": "etree", "collection": ["etree"]}, "files": files}
    replay.add(f"/metadata/{IA_ITEM}", json_body=meta)
    settings.IA_BASE_URL = replay.url
    settings.IA_MEDIA_ORIGIN = replay.url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("media-src", "connect-src"):
        policy["DIRECTIVES"][directive] = [x for x in policy["DIRECTIVES"][directive] if x.startswith(("'", "ws"))]
        policy["DIRECTIVES"][directive].append(replay.url)
    settings.CONTENT_SECURITY_POLICY = policy
    return replay


def test_guest_streams_from_the_archive_item_page_and_the_queue_survives_a_reload(asgi_server, page, archive):
    page.goto(f"{asgi_server.url}/archive/items/{IA_ITEM}/")
    page.wait_for_function("() => window.StylusPlayer !== undefined")
    page.click(f'main [data-play-recording="{IA_ITEM}"]:not([data-play-file])')
    page.wait_for_function("() => window.StylusPlayer.state().playing && window.StylusPlayer.state().position > 0.5")
    state = _state(page)
    assert state["track"]["title"] == "Streamed Opener"
    assert state["track"]["url"] == f"{archive.url}/download/{IA_ITEM}/st01.ogg"  # straight from the archive
    assert any(r.path == f"/download/{IA_ITEM}/st01.ogg" for r in archive.requests)
    page.evaluate("() => document.querySelector('[data-player-next]').click()")
    page.wait_for_function("() => window.StylusPlayer.state().index === 1")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('stylus-queue') || '{}').index) === 1")
    page.reload()
    page.wait_for_function("() => window.StylusPlayer && window.StylusPlayer.state().track !== null")
    restored = _state(page)
    assert (restored["index"], restored["track"]["title"]) == (1, "Streamed Second")
    assert page.locator("#stylus-player [data-player-title]").inner_text() == "Streamed Second"


def test_user_queue_is_kept_on_the_server_and_restored_after_a_reload(asgi_server, page, owner, library):  # noqa: F811
    from listening.models import ListeningProfile

    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server, file="d1t02.ogg")
    assert _state(page)["index"] == 1
    page.wait_for_function("() => window.StylusPlayer.state().position > 2")
    deadline = dt.datetime.now() + dt.timedelta(seconds=10)
    while dt.datetime.now() < deadline:
        queue = ListeningProfile.objects.get(user=owner).queue
        if queue.get("index") == 1:
            break
        time.sleep(0.2)
    assert queue["index"] == 1 and [x["file"] for x in queue["items"]] == ["d1t01.ogg", "d1t02.ogg", "d1t03.ogg",
                                                                          "d1t04.ogg"]
    page.evaluate("() => localStorage.clear()")  # not from the browser: from the server
    page.reload()
    page.wait_for_function("() => window.StylusPlayer && window.StylusPlayer.state().track !== null")
    restored = _state(page)
    assert (restored["index"], restored["track"]["title"]) == (1, "Second Song")


def test_share_this_moment_copies_a_link_that_starts_there(asgi_server, page, owner, library):  # noqa: F811
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server, file="d1t01.ogg", t="0:12")
    page.wait_for_function("() => window.StylusPlayer.state().position >= 12")
    page.click("#stylus-player [data-player-share]")
    shared = page.evaluate("() => document.getElementById('stylus-player').dataset.shared")
    assert shared.startswith(f"{asgi_server.url}/listening/play/{ITEM}/?file=d1t01.ogg&t=0:1")
    page.goto(shared)
    page.wait_for_function("() => window.StylusPlayer !== undefined")
    if not _state(page)["playing"]:
        page.click("main [data-play-recording]")
    page.wait_for_function("() => window.StylusPlayer.state().playing && window.StylusPlayer.state().position > 10")
    state = _state(page)
    assert state["track"]["file"] == "d1t01.ogg" and state["position"] < 25


def test_played_tracks_past_offline_cache_mb_go_least_recently_played_first(asgi_server, page, owner, library,  # noqa: F811
                                                                           settings):
    second, encore = library[1], library[3]
    # Room for either track but not both: storing the second one played must push out the first.
    settings.OFFLINE_CACHE_MB = (second.bytes_total + encore.bytes_total - 1) / (1024 * 1024)
    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/listening/storage/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    played = """async () => { const c = await caches.open('stylus-played');
                  return (await c.keys()).map(r => new URL(r.url).pathname).sort(); }"""
    paths = {}
    for file in ("d1t04.ogg", "d1t02.ogg"):  # Encore (6 s, counted at 3 s), then Second Song (12 s, at 6 s)
        _start(page, asgi_server, file=file)
        page.wait_for_function("f => window.StylusPlayer.state().track.file === f && window.StylusPlayer.state().counted",
                               arg=file, timeout=20_000)
        paths[file] = urlparse(_state(page)["track"]["url"]).path or _state(page)["track"]["url"]
        page.wait_for_function(f"p => ({played})().then(k => k.includes(p))", arg=paths[file])
    # Encore, played least recently, went; a smallest-first or newest-first rule would have kept it.
    page.wait_for_function(f"p => ({played})().then(k => k.length === 1 && k[0] === p)", arg=paths["d1t02.ogg"])
    assert page.evaluate(played) == [paths["d1t02.ogg"]]


def test_listening_page_draws_the_stats_charts(asgi_server, page, owner):
    from listening import demo

    demo.load(user=owner)
    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/listening/?range=all")
    page.wait_for_function("() => document.querySelectorAll('[data-chart][data-drawn=\"1\"] canvas').length === 4")
    assert page.locator("[data-stat=plays]").inner_text() == "120"


def test_player_keeps_playing_through_the_archive_library_player_page(asgi_server, page, owner, library):  # noqa: F811
    """That page has its own player (<section id="player">, archive's): the site's bar keeps an id of its own and
    the music goes on in and out of the page."""
    browser_login(page, asgi_server, "owner")
    _start(page, asgi_server)
    page.evaluate("() => { document.getElementById('stylus-player').dataset.marker = 'kept'; window.__same = true; }")
    for href in (f"/archive/library/{ITEM}/", "/"):
        page.evaluate("""h => { window.__settled = false;
            document.addEventListener('htmx:afterSettle', () => { window.__settled = true; }, {once: true});
            const a = document.createElement('a'); a.href = h; a.id = 'go-' + h.length; a.textContent = 'go';
            document.querySelector('main').appendChild(a); window.htmx.process(a); a.click(); }""", href)
        page.wait_for_function("h => window.location.pathname === h && window.__settled", arg=href)
        state = _state(page)
        assert state["playing"] and (state["index"], state["track"]["title"]) == (0, "Opener"), href
        assert page.evaluate("() => window.__same === true"), "the link reloaded the page"
        assert page.evaluate("() => document.getElementById('stylus-player').dataset.marker") == "kept"
