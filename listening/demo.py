"""Demo listens: a few weeks of plays of the demo concerts and catalogue names, marked is_demo."""
from __future__ import annotations

import datetime as dt
import random
from typing import IO

from django.utils import timezone

from common.types import AuthUser

from .models import Listen
from .services import dedupe_key_for, match_key_for

DEMO_TRACKS = [
    ("Bertha", "The Stylus Band", "1977-05-08 Barton Hall", "stylusband1977-05-08.sbd.demo.flac16", 196),
    ("Scarlet Begonias", "The Stylus Band", "1977-05-08 Barton Hall", "stylusband1977-05-08.sbd.demo.flac16", 540),
    ("Fire on the Mountain", "The Stylus Band", "1977-05-08 Barton Hall", "stylusband1977-05-08.sbd.demo.flac16", 720),
    ("Red Rocks Jam", "Phonograph Jam", "2004-07-03 Red Rocks", "phonographjam2004-07-03.matrix.demo.flac16", 1300),
    ("Fillmore Opener", "Needle Drop Orchestra", "2012-11-16 The Fillmore", "needledrop2012-11-16.fm.demo.mp3", 310),
]


def load(*, user: AuthUser, staff: AuthUser | None = None, stdout: IO[str] | None = None) -> None:
    rng = random.Random(14)
    now = timezone.now().replace(microsecond=0)
    rows = []
    for _ in range(120):
        title, artist, release, identifier, length = rng.choice(DEMO_TRACKS)
        at = now - dt.timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        rows.append(Listen(user=user, listened_at=at, track_title=title, artist_name=artist, release_name=release,
                           recording_identifier=identifier, filename=f"{title.lower().replace(' ', '_')}.flac",
                           duration_seconds=length, seconds_played=length, source=Listen.Source.WEB, is_demo=True,
                           dedupe_key=dedupe_key_for(listened_at=at, track_title=title, artist_name=artist),
                           match_key=match_key_for(track_title=title, artist_name=artist)))
    Listen.objects.bulk_create(rows, ignore_conflicts=True)
    if stdout is not None:
        stdout.write(f"listening: {len(rows)} demo listens for {user.get_username()}\n")


def unload(*, stdout: IO[str] | None = None) -> None:
    from django.contrib.auth import get_user_model

    from .services import tallies_drop

    users = set(Listen.objects.filter(is_demo=True).values_list("user_id", flat=True).distinct())
    deleted, _ = Listen.objects.filter(is_demo=True).delete()
    for user in get_user_model().objects.filter(pk__in=users):
        tallies_drop(user=user)
    if stdout is not None:
        stdout.write(f"listening: removed {deleted} demo listens\n")
