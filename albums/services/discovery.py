"""Discovery lists: AOTY's grids (new releases, upcoming, must-hear, discover), ranked publication lists
and the year-end index."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.exceptions import InvalidInput, NotFound
from integrations.aoty import parser
from integrations.aoty.types import AlbumSummary

from ..models import DiscoveryEntry, DiscoveryList
from . import kernel
from .catalogue import album_stub_upsert
from .kernel import Served, fetch_parsed, is_stale, parsed_is_cached, refresh_done

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
# AOTY's must-hear slugs: /must-hear/2020s/, /must-hear/2024/, /must-hear/critics/2010s/ (users, both).
_MUST_HEAR = re.compile(r"must-hear/(?:(?:critics|users|both)/)?(?:(?P<decade>(?:19|20)\d0)s|(?P<year>(?:19|20)\d\d))")
# A publication list path: /list/<id>-<slug>/ (the slug is optional).
_LIST_PATH = re.compile(r"/list/([1-9]\d{0,9})(?:-[A-Za-z0-9._~%-]{0,200})?/?")


# -- discovery lists ----------------------------------------------------------------------------------------------
def discovery_key_valid(*, key: str) -> bool:
    """Whether `key` names a real AOTY list: one of DISCOVERY, a must-hear decade or year (optionally
    by critics, users or both), or a ranked list id. Checked before anything is fetched or stored."""
    if key in DISCOVERY:
        return True
    if re.fullmatch(r"list/[1-9]\d{0,9}", key):
        return True
    match = _MUST_HEAR.fullmatch(key)
    if not match:
        return False
    next_year = timezone.now().year + 1
    if match.group("decade"):
        return 1950 <= int(match.group("decade")) <= next_year // 10 * 10
    return 1950 <= int(match.group("year")) <= next_year


def discovery_path(*, key: str, page: int) -> str:
    if key in DISCOVERY:
        _, first, nth = DISCOVERY[key]
        if page == 1:
            return first
        if nth is None:
            raise NotFound("This list has only one page.")
        return nth.format(page=page)
    if key.startswith("must-hear/") and discovery_key_valid(key=key):
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
    dlist.is_demo = False  # real data now (the demo marks its own lists after saving them)
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
    match = _LIST_PATH.fullmatch(path)
    if not match:
        raise InvalidInput("Expected an AOTY list path such as /list/2618-…/.", field="path")
    plist = fetch_parsed(kind="list", path=path, parse=parser.parse_publication_list, ttl=settings.AOTY_LIST_TTL,
                         refresh=refresh)
    ranked = [(e.rank, e.blurb, e.review_url) for e in plist.entries]
    return discovery_save(key=f"list/{match.group(1)}", title=plist.title, path=path, page=1,
                           summaries=[e.album for e in plist.entries], has_more=False, ranked=ranked,
                           source_url=plist.source_url)


def discovery_serve(*, key: str, page: int = 1, refresh: bool = False) -> Served:
    """A discovery list with page `page` stored: fetched when missing, refreshed in the background when stale."""
    from ..tasks import discovery_refresh_task

    if page < 1 or page > MAX_DISCOVERY_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_DISCOVERY_PAGE}.", field="page")
    dlist = DiscoveryList.objects.filter(key=key).first()
    if dlist is None and not discovery_key_valid(key=key):
        raise NotFound("No such discovery list.")
    if key.startswith("list/") and page > 1:
        raise NotFound("Ranked lists have one page.")
    needs_fetch = refresh or dlist is None or page > dlist.pages_fetched
    fetch: Callable[[], DiscoveryList]
    if key.startswith("list/"):
        if dlist is None:
            raise NotFound("No such list stored yet.")
        path = dlist.path
        fetch = lambda: publication_list_fetch(path=path, refresh=refresh)  # noqa: E731
    else:
        if needs_fetch and dlist is not None and page > dlist.pages_fetched and not dlist.has_more:
            raise NotFound("No more pages in this list.")
        fetch = lambda: discovery_fetch(key=key, page=page, refresh=refresh)  # noqa: E731
    has_page = dlist is not None and page <= dlist.pages_fetched
    return kernel.serve(
        stored=dlist if has_page else None, fetch_now=needs_fetch, fetch=fetch,
        stale=dlist is not None and is_stale(dlist.fetched_at, settings.AOTY_LIST_TTL),
        refresh_kind="discovery", refresh_task=None if key.startswith("list/") else discovery_refresh_task,
    )


def discovery_stored(*, key: str, page: int = 1) -> bool:
    """Whether page `page` of the list is stored, so serving it costs no call to AOTY while the reader waits."""
    return DiscoveryList.objects.filter(key=key, pages_fetched__gte=page).exists()


def publication_list_stored(*, path: str) -> bool:
    """Whether opening the list at `path` costs no call to AOTY (its page is cached)."""
    return parsed_is_cached(kind="list", path=path)


def discovery_refresh(*, list_id: int) -> DiscoveryList | None:
    dlist = DiscoveryList.objects.filter(pk=list_id).first()
    if dlist is None:
        return None
    try:
        if dlist.key.startswith("list/"):
            return publication_list_fetch(path=dlist.path, refresh=True)
        return discovery_fetch(key=dlist.key, page=1, refresh=True)
    finally:
        refresh_done(kind="discovery", object_id=list_id)


def _year_lists_path(year: int) -> str:
    if not 1950 <= year <= timezone.now().year + 1:
        raise InvalidInput("Pick a year between 1950 and next year.", field="year")
    return f"/lists.php?y={year}"


def year_lists_get(*, year: int) -> parser.ListIndex:
    """The year-end lists index for `year` (cached; raises integration errors)."""
    return fetch_parsed(kind="lists", path=_year_lists_path(year), parse=parser.parse_list_index, ttl=settings.AOTY_LIST_TTL)


def year_lists_stored(*, year: int) -> bool:
    """Whether the index for `year` is at hand (cached), so showing it costs no call to AOTY."""
    try:
        return parsed_is_cached(kind="lists", path=_year_lists_path(year))
    except InvalidInput:
        return True  # answered at once with the error, no call either


