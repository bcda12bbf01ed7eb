"""Admin screens for downloads, concerts and search history; the player in a real browser."""
from __future__ import annotations

import pytest

from archive.models import Download, SearchHistory
from tests.conftest import browser_login
from tests.factories import UserFactory


def test_admin_lists_downloads_history_and_concerts(staff_client, owner):
    from concerts.services import concerts_aggregate_items
    from tests.concerts.test_aggregation import doc

    Download.objects.create(user=owner, identifier="x", file_name="a.mp3", status="failed")
    SearchHistory.objects.create(user=owner, summary="artist: X", params={"artist": "X"}, params_key="k")
    concerts_aggregate_items(docs=[doc("one"), doc("two", source="SBD")])
    for url in ("/admin/archive/download/", "/admin/archive/searchhistory/", "/admin/concerts/concert/",
                "/admin/concerts/recording/", "/admin/concerts/aggregationrun/"):
        assert staff_client.get(url).status_code == 200, url
    from concerts.models import Concert

    detail = staff_client.get(f"/admin/concerts/concert/{Concert.objects.get().pk}/change/").content.decode()
    assert "one" in detail and "two" in detail  # recordings inline


def test_admin_retry_action_requeues_failed_downloads(staff_client, owner, monkeypatch):
    from archive import services

    queued = []
    monkeypatch.setattr(services.downloads, "_enqueue", lambda d: queued.append(d.pk))
    failed = Download.objects.create(user=owner, identifier="x", file_name="a.mp3", status="failed")
    response = staff_client.post("/admin/archive/download/", {"action": "retry_downloads",
                                                              "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending" and queued == [failed.pk]


def _until(locator, script: str, timeout: float = 10.0):
    """Polls a predicate on an element (CSP forbids wait_for_function's eval)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.evaluate(script):
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {script}")


@pytest.fixture
def demo_library(settings, tmp_path):
    from io import StringIO

    import archive.demo

    user = UserFactory(username="player")
    archive.demo.load(user=user, staff=user, stdout=StringIO())
    return user


def test_player_plays_the_queue_with_next_and_seeking(asgi_server, page, demo_library):
    import archive.demo

    browser_login(page, asgi_server, "player")
    page.goto(f"{asgi_server.url}/archive/library/{archive.demo.PLAYABLE}/")
    page.wait_for_selector("[data-player][data-ready=true]")
    audio = page.locator("[data-audio]")
    _until(audio, "a => a.readyState >= 1")
    duration = audio.evaluate("a => a.duration")
    assert 3.9 < duration < 4.1  # the browser read the file through the authenticated view
    first_src = audio.evaluate("a => a.src")
    page.click("[data-next]")
    assert page.locator("[data-now-playing]").inner_text() == "Scarlet Begonias"
    assert audio.evaluate("a => a.src") != first_src
    _until(audio, "a => a.readyState >= 1")
    # Paused, so the 4 s track can neither end nor drift back under the 3 s threshold before the click.
    audio.evaluate("a => { a.pause(); a.currentTime = 3.5; }")
    _until(audio, "a => Math.abs(a.currentTime - 3.5) < 0.1")
    page.click("[data-prev]")  # past 3 s: back to the start of the track
    assert page.locator("[data-now-playing]").inner_text() == "Scarlet Begonias"
    _until(audio, "a => a.currentTime < 0.5")
    page.click("[data-prev]")
    assert page.locator("[data-now-playing]").inner_text() == "Bertha"
