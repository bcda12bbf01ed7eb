"""The song list's inline status edit and checklist in a real browser (Debian's Chromium)."""
from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.factories import UserFactory
from tracks import services
from tracks.models import Song, SongStep, Status

pytestmark = pytest.mark.browser


def test_song_list_inline_status_and_checklist(asgi_server, page):
    author = UserFactory(username="author")
    started = services.song_create(user=author, data={"title": "Started", "artist": "Band", "status": "In Progress"})
    planned = services.song_create(user=author, data={"title": "Planned", "artist": "Band"})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browser_login(page, asgi_server, "author")
    page.goto(f"{asgi_server.url}/tracks/songs/")

    # Inline status: "Planned" starts, and its row comes back with a checklist.
    planned_row = page.locator(f"#song-{planned.pk}")
    assert planned_row.locator("details.checklist-toggle").count() == 0
    planned_row.locator("select.status-select").select_option("In Progress")
    page.wait_for_selector(f"#song-{planned.pk}.song-row--in-progress details.checklist-toggle")
    assert Song.objects.get(pk=planned.pk).status == Status.IN_PROGRESS
    assert SongStep.objects.filter(song=planned).count() == 15

    # Checklist: ticking a box updates the row's progress without a reload.
    row = page.locator(f"#song-{started.pk}")
    row.locator("details.checklist-toggle summary").click()
    row.locator("input[data-step='Stems (demucs)']").check()
    page.wait_for_selector(f"#song-progress-{started.pk} .pct:text('7%')")
    row.locator("input[data-step='MIDI']").check()
    page.wait_for_selector(f"#song-progress-{started.pk} .pct:text('13%')")
    done = set(SongStep.objects.filter(song=started, done=True).values_list("step__name", flat=True))
    assert done == {"Stems (demucs)", "MIDI"}

    # Unticking works too, and the state survives a reload.
    page.locator(f"#checklist-{started.pk} input[data-step='MIDI']").uncheck()
    page.wait_for_selector(f"#song-progress-{started.pk} .pct:text('7%')")
    page.reload()
    page.locator(f"#song-{started.pk} details.checklist-toggle summary").click()
    assert page.locator(f"#checklist-{started.pk} input[data-step='Stems (demucs)']").is_checked()
    assert not page.locator(f"#checklist-{started.pk} input[data-step='MIDI']").is_checked()
    assert not [e for e in errors if "Content Security Policy" in e], errors
