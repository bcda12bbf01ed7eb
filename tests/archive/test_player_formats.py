"""The player (and archive.selectors.best_files) lists each track once, in the best format held."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive import selectors
from archive.models import Download

IDENT = "formats1999-01-01.sbd"


def _held(owner, settings, name: str, *, track: int, size: int, length: float = 100.0, status: str = "completed",
          on_disk: bool = True) -> Download:
    path = Path(settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / IDENT / name
    if on_disk:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * 64)
    return Download.objects.create(user=owner, identifier=IDENT, file_name=name, track=track, track_title=f"Song {track}",
                                   title="Formats Live", status=status, bytes_total=size, bytes_done=size, length=length,
                                   path=str(path.relative_to(settings.MEDIA_ROOT)))


@pytest.fixture
def two_formats(owner, settings):
    """Track 1 as FLAC and VBR MP3; track 2 as 64 kb MP3 and a higher-bitrate Ogg; track 3 as MP3 only."""
    return {
        "t01.flac": _held(owner, settings, "fm99d1t01.flac", track=1, size=30_000_000),
        "t01.mp3": _held(owner, settings, "fm99d1t01.mp3", track=1, size=2_500_000),
        "t02_64kb.mp3": _held(owner, settings, "fm99d1t02_64kb.mp3", track=2, size=800_000),
        "t02.ogg": _held(owner, settings, "fm99d1t02.ogg", track=2, size=1_900_000),
        "t03.mp3": _held(owner, settings, "fm99d1t03.mp3", track=3, size=2_000_000),
    }


def test_player_queue_lists_each_track_once_in_the_best_format(owner_client, two_formats):
    html = owner_client.get(f"/archive/library/{IDENT}/").content.decode()
    played = [d for d in two_formats.values() if f"/archive/files/{d.pk}/" in html]
    assert [d.file_name for d in played] == ["fm99d1t01.flac", "fm99d1t02.ogg", "fm99d1t03.mp3"]
    assert html.count("data-track ") == 3
    assert html.index(f"/archive/files/{two_formats['t01.flac'].pk}/") < html.index(
        f"/archive/files/{two_formats['t02.ogg'].pk}/")


def test_best_files_prefers_flac_then_the_higher_bitrate(two_formats):
    best = selectors.best_files(downloads=Download.objects.all())
    assert [d.file_name for d in best] == ["fm99d1t01.flac", "fm99d1t02.ogg", "fm99d1t03.mp3"]


def test_best_files_skips_formats_not_complete_or_not_on_disk(owner, settings):
    _held(owner, settings, "fm99d1t01.mp3", track=1, size=2_000_000)
    _held(owner, settings, "fm99d1t01.flac", track=1, size=30_000_000, status="downloading")
    _held(owner, settings, "fm99d1t02.flac", track=2, size=30_000_000, on_disk=False)
    _held(owner, settings, "fm99d1t02.mp3", track=2, size=2_000_000)
    best = selectors.best_files(downloads=Download.objects.all())
    assert [d.file_name for d in best] == ["fm99d1t01.mp3", "fm99d1t02.mp3"]


def test_best_files_groups_old_style_vbr_derivative_names(owner, settings):
    _held(owner, settings, "gd77-05-08d1t01_vbr.mp3", track=1, size=2_000_000)
    _held(owner, settings, "gd77-05-08d1t01.flac", track=1, size=30_000_000)
    assert [d.file_name for d in selectors.best_files(downloads=Download.objects.all())] == ["gd77-05-08d1t01.flac"]


def test_player_of_another_users_concert_with_two_formats_is_404(outsider_client, two_formats):
    assert outsider_client.get(f"/archive/library/{IDENT}/").status_code == 404
