"""Reads for recommend: catalogue figures, index status, the user's playlists and uploads, search."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from common.types import AnyUser, AuthUser
from integrations.spotify.client import parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink

from . import index as faiss_index
from .models import AudioUpload, IndexBuild, Playlist, PlaylistTrack, SavedTrack, Track, TrackFeatures


def feature_source_counts() -> dict[str, int]:
    """Tracks per feature source (a track with two sources counts under both)."""
    counts = dict(TrackFeatures.objects.values_list("source").annotate(n=Count("id")).values_list("source", "n"))
    return {source: counts.get(source, 0) for source in TrackFeatures.Source.values}


def catalogue_counts() -> dict[str, Any]:
    return {
        "tracks": Track.objects.filter(owner__isnull=True).count(),
        "own_tracks": Track.objects.filter(owner__isnull=False).count(),
        "with_features": TrackFeatures.objects.values("track").distinct().count(),
        "playlists": Playlist.objects.count(),
        "by_source": feature_source_counts(),
    }


def index_status(*, load: bool = True) -> dict[str, Any]:
    """{ok, index_size, index_type, built_at, version, nprobe, recall_at_10, message} for this process.
    With load=True the index is loaded (once per process) so `ok` means queries can be served."""
    status: dict[str, Any] = {"ok": False, "index_size": 0, "index_type": None, "built_at": None, "version": None,
                              "nprobe": None, "nlist": None, "recall_at_10": None, "message": ""}
    try:
        manifest = faiss_index.current().manifest if load else faiss_index.read_manifest()
        if manifest is None:
            raise faiss_index.IndexUnavailable("No index has been built yet.")
    except faiss_index.IndexUnavailable as exc:
        status["message"] = f"{exc} Run `manage.py rebuild_index` or press Rebuild on the catalogue page."
        return status
    except faiss_index.IndexCorrupt as exc:
        status["message"] = f"{exc} It will be rebuilt from the database on the next query."
        return status
    status.update(ok=manifest.size > 0, index_size=manifest.size, index_type=manifest.index_type,
                  built_at=manifest.built_at_dt, version=manifest.version, nprobe=manifest.nprobe,
                  nlist=manifest.nlist, recall_at_10=manifest.recall_at_10)
    return status


def index_builds(*, limit: int = 10) -> QuerySet[IndexBuild]:
    return IndexBuild.objects.all()[:limit]


def playlists_for_user(*, user: AuthUser) -> QuerySet[Playlist]:
    return Playlist.objects.filter(imported_by=user).order_by("-last_ingested_at", "-updated_at")


def uploads_for_user(*, user: AuthUser) -> QuerySet[AudioUpload]:
    return AudioUpload.objects.filter(user=user).select_related("track")


def own_tracks_for_user(*, user: AuthUser) -> QuerySet[Track]:
    return Track.objects.filter(owner=user).prefetch_related("features").order_by("-created_at")


def own_track_get_for_user(*, user: AuthUser, track_id: int) -> Track:
    track = Track.objects.filter(pk=track_id, owner=user).prefetch_related("features", "artists").first()
    if track is None:
        raise Http404("No such track.")
    return track


def track_cover_get(*, user: AnyUser, track_id: int) -> Track:
    """A track for its cover route: catalogue tracks for anyone, own-audio tracks for their owner only (else 404)."""
    visible = Q(owner__isnull=True)
    if user.is_authenticated:
        visible |= Q(owner=user)
    track = (Track.objects.filter(visible, pk=track_id).select_related("album")
             .only("pk", "title", "album__id", "album__title", "album__cover_file").first())
    if track is None:
        raise Http404("No such track.")
    return track


def link_needs_spotify(*, url: str) -> bool:
    """Whether recommending from this link may call Spotify while the visitor waits: a valid link whose
    track (or playlist) is not stored yet. Invalid links and stored seeds never reach Spotify."""
    try:
        ref = parse_spotify_link(url, kinds=("track", "playlist"))
    except InvalidSpotifyLink:
        return False
    if ref.kind == "track":
        return not Track.objects.filter(spotify_id=ref.id).exists()
    return not PlaylistTrack.objects.filter(playlist__spotify_id=ref.id).exists()


def demo_tracks(*, limit: int = 6) -> list[Track]:
    """Catalogue tracks with features to offer as "try one of these" links."""
    return list(Track.objects.filter(owner__isnull=True, spotify_id__isnull=False, features__isnull=False)
                .select_related("album").distinct().order_by("-popularity", "pk")[:limit])


def track_search(*, user: AnyUser, query: str, limit: int = 20) -> QuerySet[Track]:
    visible = Q(owner__isnull=True) | Q(owner=user) if user is not None and user.is_authenticated \
        else Q(owner__isnull=True)
    words = query.split()
    qs = Track.objects.filter(visible)
    for word in words[:6]:
        qs = qs.filter(Q(title__icontains=word) | Q(artist_names__icontains=word))
    return qs.order_by("-popularity", "title")[:limit]


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """Header search: catalogue tracks (and the user's own analysed audio) matching the query."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    out = []
    for track in track_search(user=user, query=query, limit=limit):
        url = reverse("recommend:index")
        if track.spotify_id:
            url += f"?url=spotify:track:{track.spotify_id}"
        elif track.owner_id:
            url = reverse("recommend:own_track", args=[track.pk])
        out.append({"kind": "track", "title": track.title,
                    "subtitle": " · ".join(x for x in (track.artist_names, str(track.year or "")) if x),
                    "url": url})
    return out


def home_card(*, user: AnyUser) -> dict | None:
    """"Recommended for you": a few tracks like the user's latest saved, imported or analysed track."""
    if user is None or not user.is_authenticated:
        return None
    seed = None
    saved = SavedTrack.objects.filter(user=user, track__features__isnull=False).select_related("track") \
        .order_by("-imported_at").first()
    if saved:
        seed = saved.track
    if seed is None:
        seed = Track.objects.filter(owner=user, features__isnull=False).order_by("-created_at").first()
    if seed is None:
        seed = Track.objects.filter(playlists__imported_by=user, features__isnull=False).order_by("-updated_at").first()
    items = []
    if seed is not None:
        from .services import recommend_for_track

        try:
            items = recommend_for_track(user=user, track=seed, limit=3).items
        except Exception:  # the card is optional: no index yet, etc.
            items = []
    return {"title": "Recommended for you", "url": reverse("recommend:index"), "template": "recommend/_home_card.html",
            "seed": seed, "items": items, "demo": demo_tracks(limit=3) if seed is None else []}


def stats() -> dict:
    status = index_status(load=False)
    counts = catalogue_counts()
    return {"catalogue tracks": counts["tracks"], "tracks with features": counts["with_features"],
            **{f"features: {k}": v for k, v in counts["by_source"].items()},
            "playlists": counts["playlists"], "index size": status["index_size"],
            "index type": status["index_type"] or "none"}


def tracks_like_album(*, artist: str, title: str, track_titles: list[str], limit: int = 5) -> list[dict]:
    """Catalogue tracks of an album (by artist, and album or track title) that have features: seeds
    for "Tracks like this" on album pages. Each item links to the recommend page for that seed."""
    artist, title = (artist or "").strip(), (title or "").strip()
    if not artist:
        return []
    names = [t for t in track_titles if t][:50]
    match = Q(album__title__iexact=title) if title else Q()
    if names:
        match |= Q(title__in=names)
    rows = (Track.objects.filter(owner__isnull=True, spotify_id__isnull=False, is_demo=False, artist_names__icontains=artist)
            .filter(match).filter(features__isnull=False).distinct().order_by("-popularity", "title")[:limit])
    return [{"title": t.title, "artist": t.artist_names, "spotify_id": t.spotify_id,
             "url": f"{reverse('recommend:index')}?url=spotify:track:{t.spotify_id}"} for t in rows]
