"""Reads for albums: stored albums, artists, discovery lists, global search and the home card."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from common.types import AnyUser
from integrations.aoty.parser import http_url

from .models import Album, AlbumGenre, Artist, DiscoveryEntry, DiscoveryList, ScrapeLog, SimilarAlbum


def album_get(*, album_id: int) -> Album | None:
    """A stored album by id (None when unknown); for cross-links from other sections."""
    return Album.objects.filter(pk=album_id).first()


def album_get_by_aoty_id(*, aoty_id: int) -> Album | None:
    return Album.objects.filter(aoty_id=aoty_id).first()


def album_detail(*, album_id: int) -> Album | None:
    """An album with everything its page and API show, in a handful of queries."""
    return (
        Album.objects.filter(pk=album_id)
        .prefetch_related(
            "artists", "labels", "tracks", "critic_reviews", "user_reviews",
            Prefetch("albumgenre_set", queryset=AlbumGenre.objects.select_related("genre")),
            Prefetch("similar_links", queryset=SimilarAlbum.objects.select_related("to_album")),
        )
        .first()
    )


def album_search_local(*, query: str, limit: int = 10) -> QuerySet[Album]:
    """Stored albums whose title or artist contains every word of the query, best known first."""
    qs = Album.objects.all()
    for word in query.split()[:6]:
        qs = qs.filter(Q(title__icontains=word) | Q(artist_name__icontains=word))
    return qs.order_by(F("user_count").desc(nulls_last=True), "title")[:limit]


def artist_search_local(*, query: str, limit: int = 10) -> QuerySet[Artist]:
    """Stored artists by name (artist names stay queryable for cross-links)."""
    qs = Artist.objects.all()
    for word in query.split()[:6]:
        qs = qs.filter(name__icontains=word)
    return qs.annotate(n_albums=Count("albums")).order_by("-n_albums", "name")[:limit]


def artist_get(*, artist_id: int) -> Artist | None:
    return Artist.objects.filter(pk=artist_id).first()


def artist_albums(*, artist: Artist) -> QuerySet[Album]:
    return artist.albums.order_by(F("release_date").desc(nulls_last=True), "-year", "title")


def discovery_lists() -> QuerySet[DiscoveryList]:
    return DiscoveryList.objects.annotate(n=Count("entries")).order_by("key")


def discovery_entries(*, discovery_list: DiscoveryList, page: int | None = None) -> QuerySet[DiscoveryEntry]:
    qs = discovery_list.entries.select_related("album")
    return qs.filter(page=page) if page else qs


def stale_album_ids(*, limit: int) -> list[int]:
    """Fetched albums past their TTL, most viewed first (the periodic refresh's work list)."""
    cutoff = timezone.now() - timedelta(seconds=settings.AOTY_ALBUM_TTL)
    return list(Album.objects.filter(fetched_at__isnull=False, fetched_at__lt=cutoff)
                .order_by("-view_count", "fetched_at").values_list("pk", flat=True)[:limit])


def _albums_label(count: int) -> str:
    return f"{count} album{'s' if count != 1 else ''}"


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict[str, Any]]:
    """Header search: stored albums and artists (public catalogue data, no private data here)."""
    query = (query or "").strip()
    if not query:
        return []
    results = [
        {"kind": "album", "title": a.title, "subtitle": " · ".join(str(x) for x in (a.artist_name, a.year) if x),
         "url": a.get_absolute_url()}
        for a in album_search_local(query=query, limit=limit)
    ]
    results += [
        {"kind": "artist", "title": a.name, "subtitle": _albums_label(getattr(a, "n_albums", 0)),
         "url": a.get_absolute_url()}
        for a in artist_search_local(query=query, limit=limit)
    ]
    return results


def home_card(*, user: AnyUser) -> dict[str, Any] | None:
    """'New releases from AOTY': the stored new-releases list, newest page first."""
    dlist = DiscoveryList.objects.filter(key="releases").first()
    if dlist is None:
        return None
    entries = list(discovery_entries(discovery_list=dlist, page=1)[:6])
    if not entries:
        return None
    return {"title": "New releases from AOTY", "url": reverse("albums:discover", args=["releases"]),
            "template": "albums/_home_card.html", "entries": entries}


def statistics() -> dict[str, Any]:
    """Figures for the staff statistics page."""
    day = timezone.now() - timedelta(days=1)
    logs = ScrapeLog.objects.filter(created_at__gte=day)
    by_status = dict(logs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "albums": Album.objects.count(),
        "albums_fetched": Album.objects.filter(fetched_at__isnull=False).count(),
        "artists": Artist.objects.count(),
        "discovery_lists": DiscoveryList.objects.count(),
        "scrapes_24h": sum(by_status.values()),
        "scrapes_24h_by_status": by_status,
    }


# -- API payloads (cached: the album part changes only when the album is re-scraped) ------------------------
PAYLOAD_TTL = 300


def album_cover_path(album: Album) -> str:
    """Where the album's cover is served on this site: the stored copy, else its generated placeholder."""
    return reverse("albums:cover", args=[album.pk])


def album_summary_payload(album: Album) -> dict[str, Any]:
    # Scraped URLs pass http_url again on the way out: rows stored before the parser checked them
    # must not hand a javascript: or data: link to an API client either.
    return {
        "id": album.pk, "aoty_id": album.aoty_id, "title": album.title, "artist": album.artist_name, "year": album.year,
        "type": album.album_type, "cover": album_cover_path(album), "cover_url": http_url(album.cover_url),
        "critic_score": album.critic_score, "critic_count": album.critic_count, "user_score": album.user_score,
        "user_count": album.user_count, "must_hear": album.must_hear, "url": album.get_absolute_url(),
        "aoty_url": http_url(album.url), "fetched": not album.is_stub,
    }


def _links(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [link for link in links if http_url(link.get("url"))]


def album_payload(*, album_id: int) -> dict | None:
    """The album with tracks, reviews and similar albums as plain data, from the cache when possible."""
    from django.core.cache import cache

    key = f"albums:payload:{album_id}"
    payload = cache.get(key)
    if payload is not None:
        return payload
    album = album_detail(album_id=album_id)
    if album is None:
        return None
    genres = list(album.albumgenre_set.all())
    payload = {
        **album_summary_payload(album),
        "release_date": album.release_date, "release_date_text": album.release_date_text,
        "artists": [{"id": a.pk, "name": a.name, "aoty_id": a.aoty_id, "url": a.get_absolute_url()} for a in album.artists.all()],
        "labels": [label.name for label in album.labels.all()],
        "genres": [g.genre.name for g in genres if g.primary],
        "secondary_genres": [g.genre.name for g in genres if not g.primary],
        "tags": list(album.tags or []),
        "total_length": album.total_length_text,
        "tracks": [{"disc": t.disc, "number": t.number, "title": t.title, "length_seconds": t.length_seconds,
                    "length": t.length_text, "rating": t.rating, "rating_count": t.rating_count,
                    "featured_artists": t.featured_artists, "notes": t.notes} for t in album.tracks.all()],
        "critic_reviews": [{"publication": r.publication, "author": r.author, "score": r.score, "excerpt": r.excerpt,
                            "url": http_url(r.url)} for r in album.critic_reviews.all()],
        "user_reviews": [{"username": r.username, "display_name": r.display_name, "rating": r.rating, "text": r.text,
                          "likes": r.likes, "date": r.date_text, "section": r.section} for r in album.user_reviews.all()],
        "buy_links": _links(album.buy_links),
        "stream_links": _links(album.stream_links),
        "similar": [album_summary_payload(link.to_album) for link in album.similar_links.all()],
        "stats": album.stats or {},
        "credits": album.credits or {},
        "fetched_at": album.fetched_at,
    }
    cache.set(key, payload, timeout=PAYLOAD_TTL)
    return payload


def album_cross_links(*, album: Album) -> dict:
    """Where an album leads in the rest of Stylus: vinyl deals, similar-sounding tracks, live recordings.

    Reads only other apps' selectors (their public read API), never their models.
    """
    from urllib.parse import urlencode

    from common.selectors import artist_links
    from recommend.selectors import tracks_like_album

    artist = album.artist_name or ", ".join(a.name for a in album.artists.all())
    track_titles = [t.title for t in album.tracks.all()]
    return {
        "artist": artist,
        "vinyl_url": f"{reverse('digger:search_create')}?{urlencode({'artist': artist, 'title': album.title})}",
        "similar_tracks": tracks_like_album(artist=artist, title=album.title, track_titles=track_titles, limit=5),
        "concerts": artist_links(section="concerts", artist_name=artist, limit=5),
        "concerts_search_url": f"{reverse('concerts:index')}?{urlencode({'q': artist})}",
        "track_titles": track_titles,
    }


def albums_for_artist(*, artist_name: str, limit: int = 12) -> list[dict]:
    """Stored AOTY albums by an artist (case-insensitive), for concert and artist pages."""
    name = (artist_name or "").strip()
    if not name:
        return []
    rows = (Album.objects.filter(Q(artist_name__iexact=name) | Q(artists__name__iexact=name)).distinct()
            .order_by("-release_date", "title")[:limit])
    return [{"id": a.pk, "title": a.title, "year": a.year, "critic_score": a.critic_score, "user_score": a.user_score,
             "cover_url": album_cover_path(a), "url": a.get_absolute_url()} for a in rows]


def album_cover_file(*, album_id: int) -> tuple[Album, bool] | None:
    """The album and whether a stored cover copy exists, for the cover view (None when unknown)."""
    album = Album.objects.filter(pk=album_id).only("pk", "aoty_id", "title", "artist_name", "cover_file").first()
    if album is None:
        return None
    name = (album.cover_file.name or "") if album.cover_file else ""
    return album, bool(name) and album.cover_file.storage.exists(name)


def album_needs_fetch(*, album_id: int) -> bool:
    """Whether showing the album means fetching its page from AOTY while the visitor waits (a stub)."""
    return Album.objects.filter(pk=album_id, fetched_at__isnull=True).exists()


def album_extras_stored(*, album_id: int) -> bool:
    """Whether the album's stats and credits are stored and fresh (showing them costs no call to AOTY)."""
    album = Album.objects.filter(pk=album_id).only("extras_fetched_at").first()
    if album is None:
        return True  # answered with a 404 at once
    fresh_after = timezone.now() - timedelta(seconds=settings.AOTY_ALBUM_TTL)
    return album.extras_fetched_at is not None and album.extras_fetched_at >= fresh_after
