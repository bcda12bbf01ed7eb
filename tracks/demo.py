"""Offline demo content for Tracks: songs in every status with checklists, packs (one released), an album
series with a stored tracklist, a collaboration, a public profile and the achievements all that earns.
Idempotent and without network: Spotify details are written as if an enrichment had run."""
from __future__ import annotations

import datetime as dt
from io import TextIOBase

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.types import AuthUser

from . import services
from .models import Activity, AlbumSeries, Collaboration, Pack, Song, SongStep, Status

PACKS = [
    {"name": "90s Alt Rock Pack", "priority": 1, "status": Status.RELEASED,
     "release_notes": "Four alt-rock staples. Full band, pro keys where it fits.",
     "download_url": "https://example.com/packs/90s-alt-rock", "video_url": "https://example.com/videos/90s-alt-rock"},
    {"name": "Synth Summer", "priority": 2, "status": Status.IN_PROGRESS, "release_notes": "Synth-heavy songs for keys players."},
    {"name": "Deep Cuts Vol. 1", "priority": 4, "status": Status.FUTURE},
]

# title, artist, album, year, status, priority, pack index or None, steps done (in progress)
SONGS = [
    ("Everlong", "Foo Fighters", "The Colour and the Shape", 1997, Status.RELEASED, 1, 0, None),
    ("Today", "The Smashing Pumpkins", "Siamese Dream", 1993, Status.RELEASED, 1, 0, None),
    ("Cannonball", "The Breeders", "Last Splash", 1993, Status.RELEASED, 2, 0, None),
    ("Sabotage", "Beastie Boys", "Ill Communication", 1994, Status.RELEASED, 2, 0, None),
    ("Midnight City", "M83", "Hurry Up, We're Dreaming", 2011, Status.IN_PROGRESS, 1, 1, 11),
    ("Take On Me", "a-ha", "Hunting High and Low", 1985, Status.IN_PROGRESS, 2, 1, 6),
    ("Blue Monday", "New Order", "Power, Corruption & Lies", 1983, Status.IN_PROGRESS, 3, 1, 2),
    ("Paranoid Android", "Radiohead", "OK Computer", 1997, Status.IN_PROGRESS, 2, None, 15),
    ("Airbag", "Radiohead", "OK Computer", 1997, Status.RELEASED, 1, None, None),
    ("Let Down", "Radiohead", "OK Computer", 1997, Status.IN_PROGRESS, 2, None, 4),
    ("Karma Police", "Radiohead", "OK Computer", 1997, Status.FUTURE, 3, None, None),
    ("Slint Untitled", "Slint", "Spiderland", 1991, Status.FUTURE, 5, 2, None),
    ("Cherub Rock", "The Smashing Pumpkins", "Siamese Dream", 1993, Status.FUTURE, 3, 2, None),
    ("Seven Nation Army", "The White Stripes", "Elephant", 2003, Status.FUTURE, 2, None, None),
]

OK_COMPUTER = ["Airbag", "Paranoid Android", "Subterranean Homesick Alien", "Exit Music (For a Film)", "Let Down",
               "Karma Police", "Fitter Happier", "Electioneering", "Climbing Up the Walls", "No Surprises", "Lucky",
               "The Tourist"]


def _demo_collaborator():
    User = get_user_model()
    friend, created = User.objects.get_or_create(username="chartfriend", defaults={"email": "chartfriend@stylus.local"})
    if created:
        friend.set_unusable_password()
        friend.save()
    return friend


@transaction.atomic
def load(*, user: AuthUser, staff: AuthUser, stdout: TextIOBase) -> None:
    services.workflow_ensure(user=user)
    packs = []
    for spec in PACKS:
        pack = Pack.objects.filter(owner=user, name=spec["name"]).first()
        if pack is None:
            pack = services.pack_create(user=user, data={k: v for k, v in spec.items() if k != "status"})
            pack.is_demo = True  # on the instance too: later services save it whole
            pack.save(update_fields=["is_demo"])
        packs.append(pack)

    series = AlbumSeries.objects.filter(owner=user, artist="Radiohead", album="OK Computer").first()
    if series is None:
        series = services.album_series_create(user=user, data={
            "series_number": 1, "artist": "Radiohead", "album": "OK Computer", "year": 1997,
            "status": Status.IN_PROGRESS, "description": "Charting the whole album, in order."})
        series.is_demo = True
    series.tracklist = [{"number": i, "disc": 1, "title": t, "spotify_id": "", "duration_ms": None}
                        for i, t in enumerate(OK_COMPUTER, start=1)]
    series.irrelevant_tracks = ["fitter happier"]
    series.tracklist_fetched_at = timezone.now()
    series.save()

    today = timezone.localdate()
    for index, (title, artist, album, year, status, priority, pack_index, done) in enumerate(SONGS):
        song = Song.objects.filter(owner=user, title=title, artist=artist).first()
        if song is None:
            song = services.song_create(user=user, data={
                "title": title, "artist": artist, "album": album, "year": year, "priority": priority,
                "status": status, "pack_id": packs[pack_index].pk if pack_index is not None else None,
                "album_series_id": series.pk if album == "OK Computer" else None,
                "release_date": today - dt.timedelta(days=30 - index) if status == Status.RELEASED else None,
                "notes": "Demo song." if index % 3 else "Watch the tempo changes in the bridge."})
            song.is_demo = True
            song.save(update_fields=["is_demo"])
            if done:
                for box in SongStep.objects.filter(song=song).order_by("step__position")[:done]:
                    services.song_step_set(user=user, song=song, step_id=box.step_id, done=True)
        if not song.spotify_track_id:  # what an enrichment would have stored, without the network
            Song.objects.filter(pk=song.pk).update(
                spotify_album=album, spotify_release_year=year, spotify_duration_ms=180_000 + index * 7_000,
                enriched_at=timezone.now())

    if packs[0].status != Status.RELEASED:
        services.pack_release(user=user, pack=packs[0], release_date=today - dt.timedelta(days=3))
    if packs[1].status != Status.IN_PROGRESS:
        services.pack_update(user=user, pack=packs[1], data={"status": Status.IN_PROGRESS})

    # A streak: activity on the last five days.
    if not Activity.objects.filter(user=user, verb="demo_session").exists():
        for days_ago in range(5, 0, -1):
            a = Activity.objects.create(user=user, verb="demo_session", text="Authoring session")
            Activity.objects.filter(pk=a.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))

    friend = _demo_collaborator()
    collab = Collaboration.objects.filter(pack=packs[1], user=friend).first()
    if collab is None:
        collab = services.collaboration_invite(user=user, username=friend.username, pack=packs[1],
                                               permission="pack_edit", message="Want to do the keys?")
        services.collaboration_respond(user=friend, collaboration=collab, accept=True)
    friend_song = Song.objects.filter(owner=friend, title="Heart-Shaped Box").first() or services.song_create(
        user=friend, data={"title": "Heart-Shaped Box", "artist": "Nirvana", "album": "In Utero", "year": 1993,
                           "status": Status.IN_PROGRESS})
    if not friend_song.is_demo:
        friend_song.is_demo = True
        friend_song.save(update_fields=["is_demo"])
    if not Collaboration.objects.filter(song=friend_song, user=user).exists():
        services.collaboration_invite(user=friend, username=user.username, song=friend_song,
                                      message="Could you chart the drums?")

    services.profile_update(user=user, data={"display_name": "Demo Charter", "is_public": True,
                                             "bio": "Authoring custom charts since 2009."})
    awarded = services.achievements_evaluate(user=user)
    stdout.write(f"  tracks: {Song.objects.filter(owner=user).count()} songs, {len(packs)} packs, 1 album series, "
                 f"{user.track_achievements.count()} achievements ({len(awarded)} new)")


@transaction.atomic
def unload(*, stdout: TextIOBase) -> None:
    """Removes exactly the demo rows: demo songs, packs and album series (their checklists and
    collaborations go with them) and the activity they made. Idempotent; achievements stay earned."""
    made_by_demo = Q(song__is_demo=True) | Q(pack__is_demo=True) | Q(verb="demo_session")
    activities, _ = Activity.objects.filter(made_by_demo).delete()
    songs, _ = Song.objects.filter(is_demo=True).delete()
    packs, _ = Pack.objects.filter(is_demo=True).delete()
    series, _ = AlbumSeries.objects.filter(is_demo=True).delete()
    stdout.write(f"tracks: removed {activities + songs + packs + series} demo rows\n")
