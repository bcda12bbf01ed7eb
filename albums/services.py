"""Writes for albums: scraping AOTY pages into the database, stale-while-revalidate, discovery lists.

Freshness: every scraped row records `fetched_at`. Readers get stored data at once; stale data
triggers a background refresh (Celery, at most one in flight per object) and `refresh=True`
forces a fetch. Parsed pages sit in the platform cache (Redis, memory fallback) in front of the
scraper, so a second read inside the TTL never reaches AOTY. Network calls never run inside a
transaction.
"""
from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from hashlib import sha1
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rapidfuzz import fuzz

from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.metrics import metrics
from common.services import search_log_record
from integrations.aoty import client as aoty
from integrations.aoty import parser
from integrations.aoty.errors import AotyBlocked, AotyDisallowed, AotyParseError
from integrations.aoty.types import AlbumPage, AlbumSummary, ArtistRef, NamedRef, SearchResults
from integrations.errors import IntegrationError, NotConfigured, TransientError
from integrations.errors import NotFound as UpstreamNotFound

from .models import (
    Album,
    AlbumGenre,
    Artist,
    CriticReview,
    DiscoveryEntry,
    DiscoveryList,
    Genre,
    Label,
    ScrapeLog,
    SimilarAlbum,
    Track,
    UserReview,
)

log = logging.getLogger(__name__)

# key -> (title, page-1 path, page-N path or None)
DISCOVERY: dict[str, tuple[str, str, str | None]] = {
    "releases": ("New releases", "/releases/", "/releases/{page}/"),
    "upcoming": ("Upcoming", "/upcoming/", "/upcoming/{page}/"),
    "must-hear": ("Must hear", "/must-hear/", "/must-hear/page/{page}/"),
    "popular": ("Popular now", "/discover/", None),
    "anticipated": ("Highly anticipated", "/discover/anticipated/", None),
    "under-radar": ("Under the radar", "/discover/under-radar/", None),
}
MAX_DISCOVERY_PAGE = 20


# -- the client, chosen per call so settings overrides (tests) take effect ----------------------------
_client_factory: Callable[[], aoty.AotyClient] | None = None


def get_client() -> aoty.AotyClient:
    return _client_factory() if _client_factory else aoty.AotyClient()


def block_notice() -> dict | None:
    """The current AOTY block, if any: {"since": datetime, "until": datetime, "reason": str}."""
    status = aoty.block_status()
    if not status:
        return None
    return {"since": datetime.fromtimestamp(status["since"], tz=timezone.get_current_timezone()),
            "until": datetime.fromtimestamp(status["until"], tz=timezone.get_current_timezone()),
            "reason": status.get("reason", "")}


# -- scraping with logging, caching and error mapping ----------------------------------------------------
def _cache_key(kind: str, path: str) -> str:
    return f"aoty:parsed:{kind}:{sha1(path.encode(), usedforsecurity=False).hexdigest()}"


def scrape_log_record(*, url: str, kind: str, status: str, duration: float, error: str = "", fetcher: str = "") -> None:
    ScrapeLog.objects.create(url=url[:1000], kind=kind, status=status, duration_ms=int(duration * 1000),
                             error=error[:4000], fetcher=fetcher)


def fetch_parsed(*, kind: str, path: str, parse: Callable[[str], Any], ttl: int, refresh: bool = False,
                 exact_url: bool = False, form: dict[str, str] | None = None) -> Any:
    """The parsed page at `path`: from the cache unless refresh, else fetched, parsed, logged and cached.

    Raises the integration's typed errors (AotyBlocked, NotFound, TransientError, AotyParseError).
    """
    key = _cache_key(kind, path + (f"#{sorted(form.items())}" if form else ""))
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    client = get_client()
    start = time.perf_counter()
    status, error = ScrapeLog.Status.OK, ""
    try:
        html = client.post_fragment(path, form) if form else client.fetch_html(path, exact_url=exact_url)
        result = parse(html)
    except AotyBlocked as exc:
        status, error = ScrapeLog.Status.BLOCKED, str(exc)
        raise
    except UpstreamNotFound as exc:
        status, error = ScrapeLog.Status.NOT_FOUND, str(exc)
        raise
    except AotyParseError as exc:
        status, error = ScrapeLog.Status.PARSE_ERROR, str(exc)
        raise
    except IntegrationError as exc:
        status, error = ScrapeLog.Status.ERROR, f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        duration = time.perf_counter() - start
        metrics.record_timing(name=f"aoty.scrape.{kind}", duration=duration, ok=status == ScrapeLog.Status.OK)
        scrape_log_record(url=aoty.resolve(path, exact_url=exact_url), kind=kind, status=status, duration=duration, error=error,
                          fetcher=getattr(client.fetcher, "name", ""))
        client.close()
    cache.set(key, result, timeout=ttl)
    return result


def unavailable(error: IntegrationError) -> ServiceUnavailable:
    """The API/page error for an AOTY failure when nothing is stored to serve instead."""
    if isinstance(error, AotyBlocked):
        return ServiceUnavailable("AOTY is blocking automated access right now and nothing is stored for this yet.",
                                  retry_after=error.retry_after)
    if isinstance(error, AotyParseError):
        return ServiceUnavailable("AOTY's page could not be read (its layout may have changed).", retry_after=3600)
    if isinstance(error, NotConfigured):
        return ServiceUnavailable(f"AOTY fetching is not set up here: {error}", retry_after=3600)
    if isinstance(error, AotyDisallowed):
        return ServiceUnavailable("AOTY's robots.txt does not allow fetching this page.", retry_after=86400)
    retry = getattr(error, "retry_after", None) or 60
    return ServiceUnavailable("AOTY is unreachable right now.", retry_after=int(retry))


def _upstream(call: Callable[[], Any]) -> Any:
    """Runs a fetch, turning upstream not-found into NotFound and other failures into ServiceUnavailable."""
    try:
        return call()
    except UpstreamNotFound:
        raise NotFound("AOTY has no such page.")
    except IntegrationError as error:
        raise unavailable(error)


# -- upserts --------------------------------------------------------------------------------------------
def _artist_upsert(ref: ArtistRef) -> Artist:
    if ref.aoty_id:
        artist, created = Artist.objects.get_or_create(
            aoty_id=ref.aoty_id, defaults={"name": ref.name[:300], "slug": ref.slug[:300], "url": ref.url, "image_url": ref.image_url})
        if not created and (artist.name != ref.name or (ref.image_url and artist.image_url != ref.image_url)):
            artist.name = ref.name[:300]
            artist.image_url = ref.image_url or artist.image_url
            artist.save(update_fields=["name", "image_url", "updated_at"])
        return artist
    artist, _ = Artist.objects.get_or_create(aoty_id=None, name=ref.name[:300])
    return artist


def _genre(ref: NamedRef) -> Genre:
    genre, _ = Genre.objects.get_or_create(name=ref.name[:120], defaults={"aoty_id": ref.aoty_id})
    return genre


def _label(ref: NamedRef) -> Label:
    if ref.aoty_id:
        label, _ = Label.objects.update_or_create(aoty_id=ref.aoty_id, defaults={"name": ref.name[:200], "url": ref.url})
        return label
    label = Label.objects.filter(aoty_id=None, name=ref.name[:200]).first()
    return label or Label.objects.create(name=ref.name[:200])


def album_stub_upsert(*, summary: AlbumSummary) -> Album:
    """An album known from a link (grid, search, similar block): created if new, refreshed if still a stub."""
    fields = {
        "slug": summary.slug[:300], "url": summary.url or parser.absolute(aoty.album_path(summary.aoty_id, summary.slug)),
        "title": summary.title[:400], "artist_name": summary.artist[:400], "cover_url": summary.cover_url,
        "album_type": summary.album_type[:60], "year": summary.year, "must_hear": summary.must_hear,
    }
    scores = {k: getattr(summary, k) for k in ("critic_score", "critic_count", "user_score", "user_count")
              if getattr(summary, k) is not None}
    album = Album.objects.filter(aoty_id=summary.aoty_id).first()
    if album is None:
        try:
            with transaction.atomic():
                album = Album.objects.create(aoty_id=summary.aoty_id, **fields, **scores)
        except IntegrityError:  # created meanwhile by another worker
            album = Album.objects.get(aoty_id=summary.aoty_id)
        else:
            if summary.artist_ref is not None and summary.artist_ref.name:
                album.artists.add(_artist_upsert(summary.artist_ref))
            return album
    changed = {}
    if album.is_stub:
        changed = {k: v for k, v in {**fields, **scores}.items() if v not in (None, "") and getattr(album, k) != v}
    else:
        changed = {k: v for k, v in scores.items() if getattr(album, k) != v}  # grids carry newer scores
        if summary.must_hear and not album.must_hear:
            changed["must_hear"] = True
    if changed:
        Album.objects.filter(pk=album.pk).update(**changed, updated_at=timezone.now())
        for key, value in changed.items():
            setattr(album, key, value)
    return album


def album_payload_invalidate(*, album_id: int) -> None:
    cache.delete(f"albums:payload:{album_id}")


@transaction.atomic
def album_save_page(*, page: AlbumPage) -> Album:
    """Stores a parsed album page: the album, its artists, labels, genres, tracks, reviews and similar albums."""
    now = timezone.now()
    defaults = {
        "slug": page.slug[:300], "url": page.url, "title": page.title[:400],
        "artist_name": " & ".join(a.name for a in page.artists)[:400],
        "release_date": page.release_date, "release_date_text": page.release_date_text[:60],
        "year": page.release_date.year if page.release_date else None,
        "album_type": page.album_type[:60], "tags": page.tags, "cover_url": page.cover_url,
        "critic_score": page.critic_score, "critic_score_exact": page.critic_score_exact, "critic_count": page.critic_count,
        "user_score": page.user_score, "user_score_exact": page.user_score_exact, "user_count": page.user_count,
        "must_hear": page.must_hear, "total_length_text": page.total_length_text[:60],
        "links": [{"name": link.name, "url": link.url, "kind": link.kind} for link in page.links],
        "fetched_at": now, "similar_fetched_at": now,
    }
    album, _ = Album.objects.select_for_update().update_or_create(aoty_id=page.aoty_id, defaults=defaults)
    album.artists.set([_artist_upsert(ref) for ref in page.artists])
    album.labels.set([_label(ref) for ref in page.labels])
    AlbumGenre.objects.filter(album=album).delete()
    AlbumGenre.objects.bulk_create(
        [AlbumGenre(album=album, genre=_genre(ref), primary=True, position=i) for i, ref in enumerate(page.genres)]
        + [AlbumGenre(album=album, genre=_genre(ref), primary=False, position=i) for i, ref in enumerate(page.secondary_genres)],
        ignore_conflicts=True,
    )
    album.tracks.all().delete()
    seen_numbers: set[tuple[int, int]] = set()
    tracks = []
    for t in page.tracks:
        if (t.disc, t.number) in seen_numbers:
            continue
        seen_numbers.add((t.disc, t.number))
        tracks.append(Track(album=album, disc=t.disc, number=t.number, title=t.title[:400], length_seconds=t.length_seconds,
                            rating=t.rating, rating_count=t.rating_count, featured_artists=t.featured_artists,
                            notes=t.notes[:200], aoty_song_id=t.aoty_song_id))
    Track.objects.bulk_create(tracks)
    album.critic_reviews.all().delete()
    CriticReview.objects.bulk_create([
        CriticReview(album=album, aoty_id=r.aoty_id, position=i, publication=r.publication[:200],
                     publication_url=r.publication_url, author=r.author[:200], score=r.score, excerpt=r.excerpt,
                     url=r.url[:1000], date_text=r.date_text[:60])
        for i, r in enumerate(page.critic_reviews)
    ])
    album.user_reviews.all().delete()
    UserReview.objects.bulk_create([
        UserReview(album=album, aoty_id=r.aoty_id, section=r.section, position=i, username=r.username[:150],
                   display_name=r.display_name[:150], avatar_url=r.avatar_url, rating=r.rating, text=r.text,
                   likes=r.likes, date_text=r.date_text[:60])
        for i, r in enumerate(page.user_reviews)
    ])
    SimilarAlbum.objects.filter(from_album=album).delete()
    links = []
    for i, summary in enumerate(page.similar):
        if summary.aoty_id == album.aoty_id:
            continue
        links.append(SimilarAlbum(from_album=album, to_album=album_stub_upsert(summary=summary), position=i))
    SimilarAlbum.objects.bulk_create(links, ignore_conflicts=True)
    for summary in page.more_by_artist:
        album_stub_upsert(summary=summary)
    transaction.on_commit(lambda: album_payload_invalidate(album_id=album.pk))
    # The similar links were rebuilt from the page's block: let the full similar page top them up again.
    transaction.on_commit(lambda: cache.delete(f"aoty:similar-page:{album.pk}"))
    return album


def album_scrape(*, url: str, refresh: bool = False, exact_url: bool = False) -> Album:
    """Fetches (or reads from cache), parses and stores one album page. Raises integration errors."""
    page = fetch_parsed(kind="album", path=url, parse=parser.parse_album_page, ttl=settings.AOTY_ALBUM_TTL, refresh=refresh,
                        exact_url=exact_url)
    return album_save_page(page=page)


def album_refresh(*, album_id: int) -> Album | None:
    """Re-scrapes a stored album (background refresh). Returns None when the album is gone."""
    album = Album.objects.filter(pk=album_id).first()
    if album is None:
        return None
    try:
        return album_scrape(url=album.url or aoty.album_path(album.aoty_id, album.slug), refresh=True)
    finally:
        cache.delete(refreshing_key("album", album_id))


def album_extras_fetch(*, album_id: int, refresh: bool = False) -> Album:
    """Fetches the album's two side requests (stats and credits) and stores them. Raises integration errors."""
    album = Album.objects.get(pk=album_id)
    form = {"albumID": str(album.aoty_id)}
    stats = fetch_parsed(kind="stats", path=aoty.STATS_PATH, form=form, parse=parser.parse_album_stats,
                         ttl=settings.AOTY_ALBUM_TTL, refresh=refresh)
    credits = fetch_parsed(kind="credits", path=aoty.CREDITS_PATH, form=form, parse=parser.parse_album_credits,
                           ttl=settings.AOTY_ALBUM_TTL, refresh=refresh)
    album.stats = {k: v for k, v in asdict(stats).items() if v is not None}
    album.credits = {
        section: [{"name": c.name, "roles": c.roles, "aoty_id": c.artist.aoty_id if c.artist else None} for c in people]
        for section, people in credits.sections.items()
    }
    album.extras_fetched_at = timezone.now()
    album.save(update_fields=["stats", "credits", "extras_fetched_at", "updated_at"])
    album_payload_invalidate(album_id=album.pk)
    return album


def album_extras_serve(*, album_id: int, refresh: bool = False) -> Served:
    """Stats and credits: stored while fresh, else fetched; stored data is kept when AOTY refuses."""
    album = Album.objects.filter(pk=album_id).first()
    if album is None:
        raise NotFound("No such album.")
    if not refresh and not is_stale(album.extras_fetched_at, settings.AOTY_ALBUM_TTL):
        return Served(album)
    try:
        return Served(album_extras_fetch(album_id=album_id, refresh=refresh))
    except UpstreamNotFound:
        raise NotFound("AOTY has no stats or credits for this album.")
    except IntegrationError as error:
        if album.extras_fetched_at is None:
            raise unavailable(error)
        return Served(album, stale=True, blocked=block_notice() if isinstance(error, AotyBlocked) else None,
                      error=unavailable(error).detail)


# -- stale-while-revalidate ---------------------------------------------------------------------------------
def refreshing_key(kind: str, object_id: int) -> str:
    return f"aoty:refreshing:{kind}:{object_id}"


def is_refreshing(*, kind: str, object_id: int) -> bool:
    return cache.get(refreshing_key(kind, object_id)) is not None


def refresh_enqueue(*, kind: str, object_id: int, task) -> bool:
    """Queues a background refresh unless one is already in flight (or AOTY is blocking us)."""
    if aoty.block_status():
        return False
    if not cache.add(refreshing_key(kind, object_id), 1, timeout=600):
        return False
    transaction.on_commit(lambda: task.delay(object_id))
    return True


def is_stale(fetched_at: datetime | None, ttl: int) -> bool:
    return fetched_at is None or fetched_at < timezone.now() - timedelta(seconds=ttl)


@dataclass
class Served:
    """What a reader gets: the object, plus whether it is stale, refreshing, or served despite a block."""

    obj: Any
    stale: bool = False
    refreshing: bool = False
    blocked: dict | None = None
    error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def fetched_at(self):
        return getattr(self.obj, "fetched_at", None)


def album_serve(*, album_id: int, refresh: bool = False, count_view: bool = True) -> Served:
    """A stored album, fetching it when it was never fetched or refresh=True, refreshing stale data in the background.

    With AOTY blocked or down, stored data is served with a notice; with nothing stored, ServiceUnavailable.
    """
    from .tasks import album_refresh_task

    album = Album.objects.filter(pk=album_id).first()
    if album is None:
        raise NotFound("No such album.")
    if count_view:
        Album.objects.filter(pk=album_id).update(view_count=F("view_count") + 1)
    if refresh or album.is_stub:
        try:
            album = album_scrape(url=album.url or aoty.album_path(album.aoty_id, album.slug), refresh=refresh)
        except UpstreamNotFound:
            if album.is_stub:
                raise NotFound("AOTY has no page for this album.")
            return Served(album, stale=True, error="AOTY no longer has this album's page.")
        except IntegrationError as error:
            if album.is_stub:
                raise unavailable(error)
            return Served(album, stale=True, blocked=block_notice() if isinstance(error, AotyBlocked) else None,
                          error=unavailable(error).detail)
        return Served(album)
    stale = is_stale(album.fetched_at, settings.AOTY_ALBUM_TTL) or is_stale(album.similar_fetched_at, settings.AOTY_SIMILAR_TTL)
    refreshing = is_refreshing(kind="album", object_id=album.pk)
    if stale and not refreshing:
        refreshing = refresh_enqueue(kind="album", object_id=album.pk, task=album_refresh_task)
    return Served(album, stale=stale, refreshing=refreshing, blocked=block_notice() if stale else None)


def album_scrape_url(*, url: str, refresh: bool = True) -> Album:
    """`scrape_album <url-or-id>`: an absolute AOTY URL, a path, or a numeric AOTY id."""
    value = url.strip()
    if value.isdigit():
        stored = Album.objects.filter(aoty_id=int(value)).first()
        value = stored.url if stored and stored.url else aoty.album_path(int(value))
    elif parser.album_ref(value) is None:
        raise InvalidInput("Expected an AOTY album URL (…/album/<id>-<slug>.php) or an AOTY album id.", field="url")
    return album_scrape(url=value, refresh=refresh, exact_url=True)


# -- lookup and search ------------------------------------------------------------------------------------------
def search_remote(*, query: str, kind: str = "albums", refresh: bool = False) -> SearchResults:
    """AOTY's own search, cached for AOTY_SEARCH_TTL. Raises integration errors."""
    path = f"{aoty.SEARCH_KINDS[kind]}?q={quote_plus(' '.join(query.lower().split()))}"
    return fetch_parsed(kind=f"search.{kind}", path=path, parse=parser.parse_search_page, ttl=settings.AOTY_SEARCH_TTL,
                        refresh=refresh)


def _match_score(summary_artist: str, summary_title: str, artist: str, album: str) -> float:
    return (fuzz.token_sort_ratio(summary_artist.lower(), artist.lower()) + 2 * fuzz.ratio(summary_title.lower(), album.lower())) / 3


def album_lookup(*, artist: str, album: str, refresh: bool = False, user=None) -> Served:
    """The seed's lookup: a stored album by artist and title, else AOTY's search and album page.

    No match is NotFound at once (nothing is fetched beyond the one search).
    """
    artist, album = artist.strip(), album.strip()
    if not artist or not album:
        raise InvalidInput("Both artist and album are required.", field="artist" if not artist else "album")
    search_log_record(section="albums", query=f"{artist} {album}", user=user)
    if not refresh:
        stored = (Album.objects.filter(fetched_at__isnull=False, title__iexact=album)
                  .filter(Q(artist_name__iexact=artist) | Q(artists__name__iexact=artist)).order_by("-user_count").first())
        if stored is not None:
            return album_serve(album_id=stored.pk)
    try:
        results = search_remote(query=f"{artist} {album}", kind="albums", refresh=refresh)
        if not results.albums:
            results = search_remote(query=album, kind="albums", refresh=refresh)
    except UpstreamNotFound:
        raise NotFound(f"No album matching {artist} – {album} on AOTY.")
    except IntegrationError as error:
        raise unavailable(error)
    ranked = sorted(((_match_score(s.artist, s.title, artist, album), s) for s in results.albums), key=lambda p: -p[0])
    if not ranked or ranked[0][0] < 60:
        raise NotFound(f"No album matching {artist} – {album} on AOTY.")
    best = album_stub_upsert(summary=ranked[0][1])
    return album_serve(album_id=best.pk, refresh=refresh)


@dataclass
class SearchOutcome:
    albums: list[Album]
    artists: list[Artist]
    remote: bool = False
    blocked: dict | None = None
    error: str = ""


def album_search(*, query: str, limit: int = 10, user=None, remote: bool = True, log_search: bool = True) -> SearchOutcome:
    """Albums and artists matching `query`: AOTY's search (cached) merged after the stored matches.

    With AOTY unreachable the stored matches are still returned (with the reason).
    """
    from . import selectors

    query = query.strip()
    if not query:
        raise InvalidInput("Enter something to search for.", field="query")
    if log_search:
        search_log_record(section="albums", query=query, user=user)
    albums = list(selectors.album_search_local(query=query, limit=limit))
    artists = list(selectors.artist_search_local(query=query, limit=limit))
    outcome = SearchOutcome(albums=albums, artists=artists)
    if not remote:
        return outcome
    try:
        results = search_remote(query=query, kind="all")
    except UpstreamNotFound:
        return outcome
    except IntegrationError as error:
        outcome.error = unavailable(error).detail
        outcome.blocked = block_notice() if isinstance(error, AotyBlocked) else None
        if not albums and not artists:
            raise unavailable(error)
        return outcome
    outcome.remote = True
    seen = {a.aoty_id for a in albums}
    for summary in results.albums:
        if len(outcome.albums) >= limit:
            break
        if summary.aoty_id not in seen:
            seen.add(summary.aoty_id)
            outcome.albums.append(album_stub_upsert(summary=summary))
    seen_artists = {a.aoty_id for a in artists}
    for ref in results.artists:
        if len(outcome.artists) >= limit:
            break
        if ref.aoty_id not in seen_artists:
            seen_artists.add(ref.aoty_id)
            outcome.artists.append(_artist_upsert(ref))
    return outcome


# -- similar -------------------------------------------------------------------------------------------------------
def similar_page_merge(*, album: Album, refresh: bool = False) -> int:
    """Adds the albums of AOTY's full similar page (/album/<id>-<slug>/similar/) after the page's own block.

    Best effort, at most once per AOTY_SIMILAR_TTL per album: the album page's block is the
    primary source, so any failure here leaves the stored similar albums as they are.
    Returns how many albums were added.
    """
    if album.is_stub or (not refresh and not cache.add(f"aoty:similar-page:{album.pk}", 1, timeout=settings.AOTY_SIMILAR_TTL)):
        return 0
    try:
        summaries = fetch_parsed(kind="similar", path=aoty.similar_path(album.url or aoty.album_path(album.aoty_id, album.slug)),
                                 parse=parser.parse_similar_page, ttl=settings.AOTY_SIMILAR_TTL, refresh=refresh)
    except IntegrationError as error:
        log.info("similar page for album %s not used: %s", album.pk, error)
        return 0
    with transaction.atomic():
        existing = set(SimilarAlbum.objects.filter(from_album=album).values_list("to_album__aoty_id", flat=True))
        start = SimilarAlbum.objects.filter(from_album=album).count()
        links = []
        for summary in summaries:
            if summary.aoty_id in existing or summary.aoty_id == album.aoty_id:
                continue
            existing.add(summary.aoty_id)
            links.append(SimilarAlbum(from_album=album, to_album=album_stub_upsert(summary=summary), position=start + len(links)))
        SimilarAlbum.objects.bulk_create(links, ignore_conflicts=True)
    if links:
        transaction.on_commit(lambda: album_payload_invalidate(album_id=album.pk))
    return len(links)


def similar_serve(*, album_id: int, limit: int = 5, refresh: bool = False) -> Served:
    """Similar albums ('You May Also Like') of a stored album, refreshed like the album itself.

    When the album page's block holds fewer than `limit`, AOTY's full similar page tops it up.
    """
    served = album_serve(album_id=album_id, refresh=refresh, count_view=False)
    if SimilarAlbum.objects.filter(from_album=served.obj).count() < limit:
        similar_page_merge(album=served.obj, refresh=refresh)
    links = SimilarAlbum.objects.filter(from_album=served.obj).select_related("to_album")[:limit]
    served.extra["similar"] = [link.to_album for link in links]
    return served


# -- discovery lists ----------------------------------------------------------------------------------------------
def discovery_path(*, key: str, page: int) -> str:
    if key in DISCOVERY:
        _, first, nth = DISCOVERY[key]
        if page == 1:
            return first
        if nth is None:
            raise NotFound("This list has only one page.")
        return nth.format(page=page)
    if key.startswith("must-hear/"):
        return f"/{key}/" if page == 1 else f"/{key}/page/{page}/"
    raise NotFound("No such discovery list.")


@transaction.atomic
def discovery_save(*, key: str, title: str, path: str, page: int, summaries: Iterable[AlbumSummary], has_more: bool,
                    ranked: list[tuple[int, str, str]] | None = None, source_url: str = "") -> DiscoveryList:
    now = timezone.now()
    dlist, _ = DiscoveryList.objects.select_for_update().get_or_create(key=key, defaults={"title": title, "path": path})
    dlist.title = dlist.title if page > 1 else (title or dlist.title)
    dlist.kind = DiscoveryList.Kind.RANKED if ranked else DiscoveryList.Kind.GRID
    dlist.pages_fetched = max(dlist.pages_fetched, page)
    dlist.has_more = has_more if page >= dlist.pages_fetched else dlist.has_more
    dlist.fetched_at = now if page == 1 else (dlist.fetched_at or now)
    dlist.source_url = source_url or dlist.source_url
    dlist.save()
    DiscoveryEntry.objects.filter(discovery_list=dlist, page=page).delete()
    entries, seen = [], set(DiscoveryEntry.objects.filter(discovery_list=dlist).values_list("album_id", flat=True))
    for i, summary in enumerate(summaries):
        album = album_stub_upsert(summary=summary)
        if album.pk in seen:
            continue
        seen.add(album.pk)
        rank, blurb, review_url = ranked[i] if ranked else (None, "", "")
        entries.append(DiscoveryEntry(discovery_list=dlist, album=album, page=page, position=page * 10000 + i, rank=rank,
                                      date_text=summary.date_text[:60], blurb=blurb, review_url=review_url[:1000]))
    DiscoveryEntry.objects.bulk_create(entries)
    return dlist


def discovery_fetch(*, key: str, page: int = 1, refresh: bool = False) -> DiscoveryList:
    """Scrapes one page of a discovery grid into its DiscoveryList. Raises integration errors."""
    path = discovery_path(key=key, page=page)
    grid = fetch_parsed(kind="grid", path=path, parse=parser.parse_album_grid, ttl=settings.AOTY_LIST_TTL, refresh=refresh)
    title = DISCOVERY[key][0] if key in DISCOVERY else grid.title
    return discovery_save(key=key, title=title, path=discovery_path(key=key, page=1), page=page, summaries=grid.albums,
                           has_more=grid.has_next and page < MAX_DISCOVERY_PAGE)


def publication_list_fetch(*, path: str, refresh: bool = False) -> DiscoveryList:
    """Scrapes a ranked publication list (/list/<id>-<slug>/) into a DiscoveryList keyed list/<id>."""
    match = parser.ID_HREF.search(path)
    if not match or "/list/" not in path:
        raise InvalidInput("Expected an AOTY list path such as /list/2618-…/.", field="path")
    plist = fetch_parsed(kind="list", path=path, parse=parser.parse_publication_list, ttl=settings.AOTY_LIST_TTL,
                         refresh=refresh)
    ranked = [(e.rank, e.blurb, e.review_url) for e in plist.entries]
    return discovery_save(key=f"list/{match.group(1)}", title=plist.title, path=path, page=1,
                           summaries=[e.album for e in plist.entries], has_more=False, ranked=ranked,
                           source_url=plist.source_url)


def discovery_serve(*, key: str, page: int = 1, refresh: bool = False) -> Served:
    """A discovery list with page `page` stored: fetched when missing, refreshed in the background when stale."""
    from .tasks import discovery_refresh_task

    if page < 1 or page > MAX_DISCOVERY_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_DISCOVERY_PAGE}.", field="page")
    dlist = DiscoveryList.objects.filter(key=key).first()
    if dlist is None and key not in DISCOVERY and not key.startswith(("must-hear/", "list/")):
        raise NotFound("No such discovery list.")
    if key.startswith("list/") and page > 1:
        raise NotFound("Ranked lists have one page.")
    needs_fetch = refresh or dlist is None or page > dlist.pages_fetched
    if needs_fetch:
        if key.startswith("list/"):
            if dlist is None:
                raise NotFound("No such list stored yet.")
            fetch = lambda: publication_list_fetch(path=dlist.path, refresh=refresh)  # noqa: E731
        else:
            if dlist is not None and page > dlist.pages_fetched and not dlist.has_more:
                raise NotFound("No more pages in this list.")
            fetch = lambda: discovery_fetch(key=key, page=page, refresh=refresh)  # noqa: E731
        try:
            return Served(fetch())
        except UpstreamNotFound:
            raise NotFound("AOTY has no such page.")
        except IntegrationError as error:
            if dlist is None or page > dlist.pages_fetched:
                raise unavailable(error)
            return Served(dlist, stale=True, blocked=block_notice() if isinstance(error, AotyBlocked) else None,
                          error=unavailable(error).detail)
    stale = is_stale(dlist.fetched_at, settings.AOTY_LIST_TTL)
    refreshing = is_refreshing(kind="discovery", object_id=dlist.pk)
    if stale and not refreshing and not key.startswith("list/"):
        refreshing = refresh_enqueue(kind="discovery", object_id=dlist.pk, task=discovery_refresh_task)
    return Served(dlist, stale=stale, refreshing=refreshing, blocked=block_notice() if stale else None)


def discovery_refresh(*, list_id: int) -> DiscoveryList | None:
    dlist = DiscoveryList.objects.filter(pk=list_id).first()
    if dlist is None:
        return None
    try:
        if dlist.key.startswith("list/"):
            return publication_list_fetch(path=dlist.path, refresh=True)
        return discovery_fetch(key=dlist.key, page=1, refresh=True)
    finally:
        cache.delete(refreshing_key("discovery", list_id))


def year_lists_get(*, year: int) -> parser.ListIndex:
    """The year-end lists index for `year` (cached; raises integration errors)."""
    if not 1950 <= year <= timezone.now().year + 1:
        raise InvalidInput("Pick a year between 1950 and next year.", field="year")
    return fetch_parsed(kind="lists", path=f"/lists.php?y={year}", parse=parser.parse_list_index, ttl=settings.AOTY_LIST_TTL)


# -- maintenance -----------------------------------------------------------------------------------------------------
def refresh_stale(*, limit: int | None = None, on_progress: Callable[[int, int], None] | None = None) -> dict:
    """Refreshes the most-viewed stale albums (the periodic beat task and `manage.py refresh_stale`)."""
    from . import selectors

    limit = limit or settings.AOTY_REFRESH_BATCH
    ids = list(selectors.stale_album_ids(limit=limit))
    done = failed = 0
    for i, album_id in enumerate(ids, 1):
        if aoty.block_status():
            break  # no point hammering a site that is refusing us
        try:
            album_refresh(album_id=album_id)
            done += 1
        except (TransientError, AotyBlocked, AotyParseError, UpstreamNotFound, AotyDisallowed) as error:
            failed += 1
            log.info("refresh of album %s failed: %s", album_id, error)
        if on_progress:
            on_progress(i, len(ids))
    return {"candidates": len(ids), "refreshed": done, "failed": failed}


def _csv_int(value: str | None) -> int | None:
    return parser.to_int(value or "")


def _csv_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    required = {"title", "artist", "album_link"}
    if rows and not required <= set(rows[0]):
        raise InvalidInput(f"CSV must have the columns {', '.join(sorted(required))}.", field="path")
    return rows


def import_aoty_csv(*, path: str | Path, on_progress: Callable[[int, int], None] | None = None, batch: int = 500) -> dict:
    """Loads the top-albums CSV (id,title,artist,release_date,genres,user_score,rating_count,album_link) as stubs.

    New albums are created in bulk; albums already stored keep their data, except that unfetched
    stubs take the CSV's newer scores. Idempotent on the AOTY id.
    """
    rows = _csv_rows(Path(path))
    created = updated = skipped = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        parsed = []
        for row in chunk:
            ref = parser.album_ref(row.get("album_link"))
            if ref is None or not row.get("title"):
                skipped += 1
                continue
            release = parser.parse_date(row.get("release_date") or "")
            parsed.append((ref, row, release))
        with transaction.atomic():
            existing = {a.aoty_id: a for a in Album.objects.filter(aoty_id__in=[p[0][0] for p in parsed])}
            new_albums, stale_stubs = [], []
            for (aoty_id, slug), row, release in parsed:
                fields = {"user_score": _csv_int(row.get("user_score")), "user_count": _csv_int(row.get("rating_count"))}
                album = existing.get(aoty_id)
                if album is not None:
                    updated += 1
                    if album.is_stub:
                        for key, value in fields.items():
                            setattr(album, key, value)
                        stale_stubs.append(album)
                    continue
                existing[aoty_id] = album = Album(
                    aoty_id=aoty_id, slug=slug[:300], url=row["album_link"], title=parser.clean(row["title"])[:400],
                    artist_name=parser.clean(row.get("artist"))[:400], release_date=release,
                    release_date_text=(row.get("release_date") or "")[:60], year=release.year if release else None, **fields)
                new_albums.append((album, row))
                created += 1
            Album.objects.bulk_create([a for a, _ in new_albums], ignore_conflicts=True)
            Album.objects.bulk_update(stale_stubs, ["user_score", "user_count"])
            ids = dict(Album.objects.filter(aoty_id__in=[a.aoty_id for a, _ in new_albums]).values_list("aoty_id", "pk"))
            names = {parser.clean(row.get("artist")) for _, row in new_albums if row.get("artist")}
            artists = {a.name: a for a in Artist.objects.filter(name__in=names)}
            Artist.objects.bulk_create([Artist(name=n[:300]) for n in names if n not in artists], ignore_conflicts=True)
            artists = {a.name: a.pk for a in Artist.objects.filter(name__in=names)}
            genre_names = {g.strip() for _, row in new_albums for g in (row.get("genres") or "").split(",") if g.strip()}
            Genre.objects.bulk_create([Genre(name=g[:120]) for g in genre_names], ignore_conflicts=True)
            genres = dict(Genre.objects.filter(name__in=genre_names).values_list("name", "pk"))
            through = Album.artists.through
            artist_links, genre_links = [], []
            for album, row in new_albums:
                album_pk = ids.get(album.aoty_id)
                if album_pk is None:
                    continue
                artist_pk = artists.get(parser.clean(row.get("artist")))
                if artist_pk:
                    artist_links.append(through(album_id=album_pk, artist_id=artist_pk))
                for n, g in enumerate(g.strip() for g in (row.get("genres") or "").split(",") if g.strip()):
                    genre_links.append(AlbumGenre(album_id=album_pk, genre_id=genres[g[:120]], primary=True, position=n))
            through.objects.bulk_create(artist_links, ignore_conflicts=True)
            AlbumGenre.objects.bulk_create(genre_links, ignore_conflicts=True)
        if on_progress:
            on_progress(min(start + batch, len(rows)), len(rows))
    return {"rows": len(rows), "created": created, "updated": updated, "skipped": skipped}
