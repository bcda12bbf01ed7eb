"""Offline demo content for albums and AOTY users: albums with tracks, reviews and similar albums,
and discovery lists (users_aoty/demo.py adds a user profile). Built from the data below (no network), idempotent.

Each load re-stamps the albums as freshly fetched, so the offline demo never tries a background refresh.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from common.types import AuthUser
from integrations.aoty.types import (
    AlbumPage,
    AlbumSummary,
    ArtistRef,
    CriticReview,
    ExternalLink,
    NamedRef,
    Track,
    UserReview,
)

DEMO_LIST_KEY = "list/2618"

# (aoty_id, slug, title, artist, artist_id, released, type, label, genres, critic, n_critic, user, n_user, must_hear, tracks)
ALBUMS = [
    (29250, "kendrick-lamar-to-pimp-a-butterfly", "To Pimp a Butterfly", "Kendrick Lamar", 1173, date(2015, 3, 15), "LP",
     "Top Dawg", ["Conscious Hip Hop", "Jazz Rap", "West Coast Hip Hop"], 96, 47, 95, 28594, True,
     [("Wesley's Theory", 287, 91), ("For Free? (Interlude)", 130, 84), ("King Kunta", 234, 95), ("Institutionalized", 271, 88),
      ("These Walls", 300, 90), ("u", 268, 92), ("Alright", 219, 97), ("The Blacker the Berry", 328, 95)]),
    (3840, "kendrick-lamar-good-kid-maad-city", "good kid, m.A.A.d city", "Kendrick Lamar", 1173, date(2012, 10, 22), "LP",
     "Top Dawg", ["Conscious Hip Hop", "West Coast Hip Hop"], 91, 38, 94, 22283, True,
     [("Sherane a.k.a Master Splinter's Daughter", 273, 86), ("Bitch, Don't Kill My Vibe", 310, 92), ("Backseat Freestyle", 212, 89),
      ("The Art of Peer Pressure", 324, 90), ("Money Trees", 386, 96), ("good kid", 214, 91), ("m.A.A.d city", 350, 96)]),
    (564912, "asap-rocky-dont-be-dumb", "Don't Be Dumb", "A$AP Rocky", 2003, date(2026, 1, 16), "LP",
     "A$AP", ["Trap", "East Coast Hip Hop"], 70, 17, 75, 20489, False,
     [("ORDER OF PROTECTION", 171, 77), ("HELICOPTER", 160, 84), ("INTERROGATION", 49, 64), ("STOLE YA FLOW", 199, 85),
      ("STAY HERE 4 LIFE", 346, 84), ("PLAYA", 227, 78)]),
    (1709944, "aldous-harding-train-on-the-island", "Train on the Island", "Aldous Harding", 29997, date(2026, 4, 3), "LP",
     "4AD", ["Art Pop", "Chamber Folk"], 83, 17, 75, 728, True,
     [("Venus in the Zinnia", 238, 78), ("Train on the Island", 261, 81), ("Leathery Whip", 204, 74), ("Old Peel", 299, 80)]),
    (1679045, "kenny-mason-bulldawg", "BULLDAWG", "Kenny Mason", 83139, date(2026, 5, 12), "LP",
     "RCA", ["Southern Hip Hop", "Rap Rock"], None, None, 82, 148, False,
     [("BULLDAWG", 182, 84), ("PINK", 201, 80), ("HOLY WATER", 176, 82), ("A-TOWN", 233, 79)]),
    (1773807, "nmixx-heavy-serenade", "Heavy Serenade", "NMIXX", 161175, date(2026, 5, 11), "EP",
     "JYP", ["K-Pop", "Dance-Pop"], None, None, 83, 592, False,
     [("Heavy Serenade", 192, 86), ("Blue Hour", 205, 81), ("Papercut", 188, 79), ("Night Swim", 214, 83)]),
    (1754822, "olivia-rodrigo-you-seem-pretty-sad-for-a-girl-so-in-love", "you seem pretty sad for a girl so in love",
     "Olivia Rodrigo", 114067, date(2026, 6, 12), "LP", "Geffen", ["Pop Rock"], None, None, None, None, False, []),
]
SIMILAR = {
    29250: [3840, 564912, 1709944], 3840: [29250, 564912, 1679045], 564912: [1679045, 3840, 29250],
    1709944: [29250, 1773807], 1679045: [564912, 3840], 1773807: [1709944, 1754822], 1754822: [1773807, 1709944],
}
CRITICS = [("Pitchfork", "Staff writer", 8), ("The Guardian", "Music desk", 4), ("AllMusic", "Review team", 0)]
LISTS = {
    "releases": [1679045, 1773807, 564912, 1709944],
    "upcoming": [1754822],
    "must-hear": [1709944, 29250, 3840],
    "popular": [1773807, 564912, 1679045, 29250],
    "anticipated": [1754822, 564912],
    "under-radar": [1709944, 1679045],
}


def _ref(row) -> ArtistRef:
    return ArtistRef(name=row[3], aoty_id=row[4], slug=row[1].split("-")[0], url=f"https://www.albumoftheyear.org/artist/{row[4]}-x/")


def summary(row) -> AlbumSummary:
    aoty_id, slug, title, artist = row[:4]
    return AlbumSummary(aoty_id=aoty_id, slug=slug, title=title, url=f"https://www.albumoftheyear.org/album/{aoty_id}-{slug}.php",
                        artist=artist, artist_ref=_ref(row), album_type=row[6], year=row[5].year,
                        date_text=row[5].strftime("%b %-d"), critic_score=row[9], critic_count=row[10],
                        user_score=row[11], user_count=row[12], must_hear=row[13])


def _page(row, by_id) -> AlbumPage:
    (aoty_id, slug, title, artist, _artist_id, released, kind, label, genres, critic, n_critic, user, n_user, must_hear,
     tracks) = row
    critic_reviews = [] if critic is None else [
        CriticReview(publication=pub, author=author, score=max(0, min(100, critic + delta - 4)),
                     excerpt=f"{title} is {artist} at full stretch: ambitious, detailed and worth the return visits.",
                     url=f"https://example.org/reviews/{slug}")
        for pub, author, delta in CRITICS
    ]
    user_reviews = [] if user is None else [
        UserReview(username="vinylmole", display_name="VinylMole", rating=min(100, user + 3),
                   text=f"Spun {title} three times this week. The sequencing does the heavy lifting.", likes=214, date_text="3mo"),
        UserReview(username="deepcutdee", display_name="DeepCutDee", rating=max(0, user - 8),
                   text="Good, not great. A couple of tracks overstay their welcome.", likes=57, date_text="1mo", section="recent"),
    ]
    return AlbumPage(
        aoty_id=aoty_id, slug=slug, url=f"https://www.albumoftheyear.org/album/{aoty_id}-{slug}.php", title=title,
        artists=[_ref(row)], release_date=released, release_date_text=released.strftime("%B %-d, %Y"), album_type=kind,
        labels=[NamedRef(name=label)], genres=[NamedRef(name=g) for g in genres[:2]],
        secondary_genres=[NamedRef(name=g) for g in genres[2:]], critic_score=critic, critic_count=n_critic,
        user_score=user, user_count=n_user, must_hear=must_hear,
        tracks=[Track(number=i, title=t, length_seconds=length, rating=rating, rating_count=1000 + 37 * i)
                for i, (t, length, rating) in enumerate(tracks, 1)],
        total_length_text=f"{sum(t[1] for t in tracks) // 60} minutes" if tracks else "",
        critic_reviews=critic_reviews, user_reviews=user_reviews,
        links=[ExternalLink(name="Spotify", url=f"https://open.spotify.com/search/{slug}", kind="stream"),
               ExternalLink(name="Bandcamp", url=f"https://bandcamp.com/search?q={slug}", kind="stream"),
               ExternalLink(name="Vinyl", url=f"https://www.discogs.com/search/?q={slug}", kind="buy")],
        similar=[summary(by_id[other]) for other in SIMILAR.get(aoty_id, [])],
    )


def load(*, user: AuthUser, staff: AuthUser, stdout: Any) -> None:
    from . import services
    from .models import Album, Artist, DiscoveryList

    # Rows a real scrape already stored stay real: only what the demo adds is marked (and unloaded later).
    album_ids = {row[0] for row in ALBUMS}
    artist_ids = {row[4] for row in ALBUMS}
    list_keys = [*LISTS, DEMO_LIST_KEY]
    real_albums = set(Album.objects.filter(aoty_id__in=album_ids, is_demo=False).values_list("aoty_id", flat=True))
    real_artists = set(Artist.objects.filter(aoty_id__in=artist_ids, is_demo=False).values_list("aoty_id", flat=True))
    real_lists = set(DiscoveryList.objects.filter(key__in=list_keys, is_demo=False).values_list("key", flat=True))
    by_id = {row[0]: row for row in ALBUMS}
    for row in ALBUMS:
        services.album_save_page(page=_page(row, by_id))

    for row in ALBUMS:  # stats and credits, as AOTY's side requests would give them
        if row[11] is None:
            continue
        ratings = int(row[12] or 0)
        Album.objects.filter(aoty_id=row[0]).update(
            stats={"favorites": ratings // 400, "likes": ratings // 6, "listens": ratings + ratings // 3,
                   "in_library": ratings // 9, "lists": ratings // 7},
            credits={"Performers": [{"name": row[3], "roles": ["Primary", "Performer"], "aoty_id": row[4]}],
                     "Production & Engineering": [{"name": f"{row[3]} (self-produced)", "roles": ["Producer"], "aoty_id": None}]},
            extras_fetched_at=timezone.now(),
        )
    for key, ids in LISTS.items():
        services.discovery_save(key=key, title=services.DISCOVERY[key][0], path=services.DISCOVERY[key][1], page=1,
                                 summaries=[summary(by_id[i]) for i in ids], has_more=False)
    services.discovery_save(
        key=DEMO_LIST_KEY, title="The Needle Drop's Top 50 Albums of 2025 (demo excerpt)", path="/list/2618-the-needle-drops-top-50-albums-of-2025/",
        page=1, summaries=[summary(by_id[i]) for i in (1709944, 564912, 29250)], has_more=False,
        ranked=[(3, "A quiet, strange and generous record.", ""), (2, "Messy, and a blast.", ""), (1, "Still the benchmark.", "")],
    )
    Album.objects.filter(aoty_id__in=album_ids - real_albums).update(is_demo=True)
    Artist.objects.filter(aoty_id__in=artist_ids - real_artists).update(is_demo=True)
    DiscoveryList.objects.filter(key__in=set(list_keys) - real_lists).update(is_demo=True)
    stdout.write(f"  albums: {len(ALBUMS)} albums, {len(LISTS) + 1} discovery lists")


def unload(*, stdout: Any) -> None:
    """Removes exactly the rows `load` marked as demo (real scrapes of the same albums cleared the mark)."""
    from .models import Album, Artist, DiscoveryList

    lists, _ = DiscoveryList.objects.filter(is_demo=True).delete()
    albums = Album.objects.filter(is_demo=True).count()
    Album.objects.filter(is_demo=True).delete()
    # An artist the demo added but a real album now credits stays.
    artists = Artist.objects.filter(is_demo=True, albums__isnull=True).count()
    Artist.objects.filter(is_demo=True, albums__isnull=True).delete()
    stdout.write(f"  albums: removed {albums} demo albums, {artists} artists, {lists} discovery lists")
