"""The achievement catalogue, defined in one place.

Each rule reads a `TrackerStats` snapshot (a handful of aggregate queries, see
selectors.tracker_stats) so evaluating every rule after a change stays cheap. Awarding is done by
services.achievements_evaluate, exactly once per user and code (a unique constraint backs it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TrackerStats:
    songs: int = 0
    in_progress: int = 0
    released: int = 0
    finished: int = 0  # songs with a complete checklist, or released
    packs: int = 0
    packs_released: int = 0
    album_series: int = 0
    album_series_released: int = 0
    collaborations: int = 0  # accepted, on either side
    enriched: int = 0
    streak_days: int = 0  # longest run of consecutive days with activity
    workflow_customised: bool = False


@dataclass(frozen=True)
class AchievementDef:
    code: str
    name: str
    description: str
    category: str
    points: int
    rarity: str  # common, uncommon, rare, epic, legendary
    rule: Callable[[TrackerStats], bool]


CATALOGUE: tuple[AchievementDef, ...] = (
    # Songs
    AchievementDef("first_song", "Blank Chart", "Add your first song.", "songs", 5, "common", lambda s: s.songs >= 1),
    AchievementDef("first_start", "Count-in", "Start authoring a song.", "songs", 5, "common",
                   lambda s: s.in_progress + s.finished >= 1),
    AchievementDef("first_finish", "Full Combo", "Tick every step of a song's checklist.", "songs", 15, "common",
                   lambda s: s.finished >= 1),
    AchievementDef("songs_25", "Setlist", "Have 25 songs in your tracker.", "songs", 15, "uncommon", lambda s: s.songs >= 25),
    AchievementDef("songs_100", "Discography", "Have 100 songs in your tracker.", "songs", 40, "rare", lambda s: s.songs >= 100),
    # Releases
    AchievementDef("first_release", "Debut Release", "Release your first song.", "releases", 20, "common",
                   lambda s: s.released >= 1),
    AchievementDef("release_5", "EP", "Release 5 songs.", "releases", 25, "uncommon", lambda s: s.released >= 5),
    AchievementDef("release_10", "LP", "Release 10 songs.", "releases", 40, "rare", lambda s: s.released >= 10),
    AchievementDef("release_50", "Box Set", "Release 50 songs.", "releases", 100, "epic", lambda s: s.released >= 50),
    AchievementDef("release_100", "Hall of Fame", "Release 100 songs.", "releases", 200, "legendary",
                   lambda s: s.released >= 100),
    # Packs
    AchievementDef("pack_starter", "Pack Starter", "Create your first pack.", "packs", 10, "common", lambda s: s.packs >= 1),
    AchievementDef("pack_creator", "Pack Creator", "Create 3 packs.", "packs", 25, "uncommon", lambda s: s.packs >= 3),
    AchievementDef("pack_master", "Pack Master", "Create 10 packs.", "packs", 60, "rare", lambda s: s.packs >= 10),
    AchievementDef("pack_release", "Drop Day", "Release a pack.", "packs", 25, "uncommon", lambda s: s.packs_released >= 1),
    AchievementDef("pack_release_5", "Label Boss", "Release 5 packs.", "packs", 75, "epic", lambda s: s.packs_released >= 5),
    # Album series
    AchievementDef("series_starter", "Concept Album", "Start an album series.", "albums", 10, "common",
                   lambda s: s.album_series >= 1),
    AchievementDef("series_complete", "Front to Back", "Release an album series.", "albums", 60, "rare",
                   lambda s: s.album_series_released >= 1),
    # Collaboration
    AchievementDef("first_collab", "Band Practice", "Collaborate with another author.", "collaboration", 15, "common",
                   lambda s: s.collaborations >= 1),
    AchievementDef("team_player", "Team Player", "Collaborate 5 times.", "collaboration", 40, "rare",
                   lambda s: s.collaborations >= 5),
    # Streaks
    AchievementDef("streak_3", "On a Roll", "Work on songs 3 days in a row.", "streaks", 15, "uncommon",
                   lambda s: s.streak_days >= 3),
    AchievementDef("streak_7", "Week of Charts", "Work on songs 7 days in a row.", "streaks", 40, "rare",
                   lambda s: s.streak_days >= 7),
    AchievementDef("streak_30", "Relentless", "Work on songs 30 days in a row.", "streaks", 150, "legendary",
                   lambda s: s.streak_days >= 30),
    # Craft
    AchievementDef("metadata_nerd", "Liner Notes", "Enrich 10 songs from Spotify.", "craft", 15, "uncommon",
                   lambda s: s.enriched >= 10),
    AchievementDef("own_workflow", "House Rules", "Customise your authoring workflow.", "craft", 5, "common",
                   lambda s: s.workflow_customised),
)

BY_CODE: dict[str, AchievementDef] = {a.code: a for a in CATALOGUE}
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(a.category for a in CATALOGUE))
TOTAL_POINTS: int = sum(a.points for a in CATALOGUE)
