"""The album catalogue: upserts from scraped pages, album pages, their side requests, similar albums."""
from __future__ import annotations

import logging
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.exceptions import InvalidInput, NotFound
from integrations.aoty import client as aoty
from integrations.aoty import parser
from integrations.aoty.types import AlbumPage, AlbumSummary, ArtistRef, NamedRef
from integrations.errors import IntegrationError

from ..models import Album, AlbumGenre, Artist, CriticReview, Genre, Label, SimilarAlbum, Track, UserReview
from . import kernel
from .covers import album_cover_schedule
from .kernel import Served, fetch_parsed, is_stale, refresh_done

log = logging.getLogger(__name__)


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
    existing = Label.objects.filter(aoty_id=None, name=ref.name[:200]).first()
    return existing or Label.objects.create(name=ref.name[:200])


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
            album_cover_schedule(album=album)
            return album
    if album.is_stub and summary.artist_ref is not None and summary.artist_ref.name and not album.artists.exists():
        # A stub first seen without its artist (an older "More Albums" tile) gains it when a link names one.
        album.artists.add(_artist_upsert(summary.artist_ref))
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
    if "cover_url" in changed:
        album_cover_schedule(album=album)
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
        "is_demo": False,  # a real scrape of an album the demo also holds makes it real data (unload_demo keeps it)
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
    links: list[SimilarAlbum] = []
    for i, summary in enumerate(page.similar):
        if summary.aoty_id == album.aoty_id:
            continue
        links.append(SimilarAlbum(from_album=album, to_album=album_stub_upsert(summary=summary), position=i))
    SimilarAlbum.objects.bulk_create(links, ignore_conflicts=True)
    for summary in page.more_by_artist:
        album_stub_upsert(summary=summary)
    album_cover_schedule(album=album)
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
        refresh_done(kind="album", object_id=album_id)


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
    stale = is_stale(album.extras_fetched_at, settings.AOTY_ALBUM_TTL)
    return kernel.serve(stored=album if album.extras_fetched_at else None, fetch_now=refresh or stale,
                        fetch=lambda: album_extras_fetch(album_id=album_id, refresh=refresh),
                        not_found="AOTY has no stats or credits for this album.")


def album_serve(*, album_id: int, refresh: bool = False, count_view: bool = True) -> Served:
    """A stored album, fetching it when it was never fetched or refresh=True, refreshing stale data in the background.

    With AOTY blocked or down, stored data is served with a notice; with nothing stored, ServiceUnavailable.
    """
    from ..tasks import album_refresh_task

    album = Album.objects.filter(pk=album_id).first()
    if album is None:
        raise NotFound("No such album.")
    if count_view:
        Album.objects.filter(pk=album_id).update(view_count=F("view_count") + 1)
    stale = is_stale(album.fetched_at, settings.AOTY_ALBUM_TTL) or is_stale(album.similar_fetched_at, settings.AOTY_SIMILAR_TTL)
    return kernel.serve(
        stored=None if album.is_stub else album, fetch_now=refresh or album.is_stub, stale=stale,
        fetch=lambda: album_scrape(url=album.url or aoty.album_path(album.aoty_id, album.slug), refresh=refresh),
        refresh_kind="album", refresh_task=album_refresh_task,
        not_found="AOTY has no page for this album.", gone="AOTY no longer has this album's page.",
    )


def album_scrape_url(*, url: str, refresh: bool = True) -> Album:
    """`scrape_album <url-or-id>`: an absolute AOTY URL, a path, or a numeric AOTY id."""
    value = url.strip()
    if value.isdigit():
        stored = Album.objects.filter(aoty_id=int(value)).first()
        value = stored.url if stored and stored.url else aoty.album_path(int(value))
    elif parser.album_ref(value) is None:
        raise InvalidInput("Expected an AOTY album URL (…/album/<id>-<slug>.php) or an AOTY album id.", field="url")
    return album_scrape(url=value, refresh=refresh, exact_url=True)



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
        links: list[SimilarAlbum] = []
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


