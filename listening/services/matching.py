"""Linking listens to what Stylus knows: by recording MBID, else by normalised artist and title, through the
user's own earlier listens, then the recommend catalogue and the albums."""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from common.types import AuthUser

from ..models import LINKED, Listen

_NON_WORD = re.compile(r"[^\w]+")
_TAIL = re.compile(r"\s*[-(\[]\s*(remaster(ed)?|\d{4} remaster(ed)?|live|mono|stereo|radio edit|single version)"
                   r"[^)\]]*[)\]]?\s*$", re.I)


# Names repeat (an import of 1,000 listens has a few hundred artists): the regexes run once per distinct name.
@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lower case, accents and punctuation dropped, remaster/live tails cut: "Song (2011 Remaster)" == "song"."""
    text = _TAIL.sub("", text or "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or text
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def match_key_for(*, track_title: str, artist_name: str) -> str:
    return hashlib.sha1(f"{normalise(track_title)}|{normalise(artist_name)}".encode(), usedforsecurity=False).hexdigest()


_LINKS = ("recording_identifier", "filename", "catalogue_track_key", "album_id")


def link(*, user: AuthUser, listens: list[Listen]) -> None:
    """Links incoming listens to what Stylus knows, by MBID first, else by normalised artist and title.

    Both look at the user's earlier listens that carry links (a web play of a concert track links a later
    Navidrome scrobble of it); the catalogue and album lookups run afterwards in _link_catalogue.
    """
    todo = [x for x in listens if not x.recording_identifier]
    if not todo:
        return
    known = Listen.objects.filter(LINKED, user=user)  # the same condition as the partial index it reads
    mbids = {x.recording_mbid for x in todo if x.recording_mbid}
    by_mbid: dict[str, dict] = {}
    if mbids:
        for row in known.filter(recording_mbid__in=mbids).order_by("listened_at").values("recording_mbid", *_LINKS):
            by_mbid[row.pop("recording_mbid")] = row
    keys = {x.match_key for x in todo if x.recording_mbid not in by_mbid}
    by_key: dict[str, dict] = {}
    if keys:
        for row in known.filter(match_key__in=keys).order_by("listened_at").values("match_key", *_LINKS):
            by_key[row.pop("match_key")] = row
    for listen in todo:
        links = by_mbid.get(listen.recording_mbid) if listen.recording_mbid else None
        links = links or by_key.get(listen.match_key)
        if links:
            for name, value in links.items():
                if value and not getattr(listen, name):
                    setattr(listen, name, value)
    if len(todo) <= CATALOGUE_LOOKUPS_MAX:
        _link_catalogue(user=user, listens=[x for x in todo if not (x.catalogue_track_key and x.album_id)])


# Catalogue and album lookups are text searches, one per listen: done for what players send one at a time (and
# small batches), not for history imports of thousands, which link through the user's own history above.
CATALOGUE_LOOKUPS_MAX = 25


def _link_catalogue(*, user: AuthUser, listens: list[Listen]) -> None:
    """Links to a recommend catalogue track and an albums album whose normalised artist and title are the same."""
    from albums import selectors as album_selectors
    from recommend import selectors as recommend_selectors

    for listen in listens:
        title, artist = normalise(listen.track_title), normalise(listen.artist_name)
        if not listen.catalogue_track_key:
            for track in recommend_selectors.track_search(user=user, query=f"{listen.artist_name} {listen.track_title}"[:200],
                                                          limit=5):
                if normalise(track.title) == title and artist in {normalise(a) for a in track.artist_names.split(",")}:
                    listen.catalogue_track_key = str(track.pk)
                    break
        if listen.release_name and not listen.album_id:
            release = normalise(listen.release_name)
            for album in album_selectors.album_search_local(query=f"{listen.artist_name} {listen.release_name}"[:200], limit=5):
                if normalise(album.title) == release and normalise(album.artist_name) == artist:
                    listen.album_id = album.pk
                    break
