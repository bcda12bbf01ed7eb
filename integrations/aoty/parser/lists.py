"""Parsers for list-like pages: search results, album grids, publication lists and the year-end index."""
from __future__ import annotations

import re

from ..errors import AotyParseError
from ..types import AlbumGrid, AlbumSummary, ArtistRef, ListEntry, ListIndex, ListLink, PublicationList, SearchResults
from .base import (
    ID_HREF,
    _album_blocks,
    _artist,
    _img,
    _named,
    _text,
    _tree,
    absolute,
    album_ref,
    clean,
    http_url,
    to_count,
    to_int,
)


# -- search ------------------------------------------------------------------------------------
def parse_search_page(html: str) -> SearchResults:
    """Search results (/search/, /search/albums/, /search/artists/, /search/labels/)."""
    tree = _tree(html)
    headline = tree.css_first("h1.headline")
    if headline is None or "search results" not in _text(headline).lower():
        raise AotyParseError("not a search results page")
    match = re.search(r'"(.*)"', _text(headline))
    results = SearchResults(query=match.group(1) if match else "")
    root = tree.css_first("#centerContent") or tree.body
    if root is None:
        raise AotyParseError("search results page without a body")
    results.albums = _album_blocks(root.css(".albumBlock"))
    seen: set[int | None] = set()
    for block in root.css(".artistBlock"):
        name_link = block.css_first(".name a")
        artist = _artist(name_link) if name_link is not None else None
        if artist is None or artist.aoty_id in seen:
            continue
        seen.add(artist.aoty_id)
        img = _img(block.css_first(".image"))
        results.artists.append(ArtistRef(name=artist.name, aoty_id=artist.aoty_id, slug=artist.slug, url=artist.url,
                                         image_url=img))
    for row in root.css(".tagRow"):
        link = next((a for a in row.css("a") if "/label/" in (a.attributes.get("href") or "")), None)
        if link is not None:
            results.labels.append(_named(link))
    for heading in root.css(".subHeadline"):
        text = _text(heading)
        count = to_count(text)  # "Albums (1.2K)" on a broad query
        if text.startswith("Albums"):
            results.total_albums = count
        elif text.startswith("Artists"):
            results.total_artists = count
        elif text.startswith("Labels"):
            results.total_labels = count
    return results


# -- grids ------------------------------------------------------------------------------------
def parse_album_grid(html: str) -> AlbumGrid:
    """New releases, upcoming, must-hear, discover, genre and year pages: album blocks with scores."""
    tree = _tree(html)
    root = tree.css_first("#centerContent")
    if root is None:
        raise AotyParseError("not an album grid page: no content area")
    if root.css_first("h1.headline") is None or tree.css_first("h1.albumTitle") is not None:
        raise AotyParseError("not an album grid page: no grid headline")
    main = root.css_first(".wideLeft") or root
    albums = _album_blocks(main.css(".albumBlock"))
    headline = _text(root.css_first("h1.headline"))
    page, has_next = 1, False
    pager = root.css_first(".pageSelectRow")
    if pager is not None:
        current = pager.css_first(".current")
        page = to_int(_text(current)) or 1
        has_next = pager.css_first(".next") is not None or any(
            (to_int(_text(a)) or 0) > page for a in pager.css("a")
        )
    return AlbumGrid(title=headline, albums=albums, page=page, has_next=has_next)


# -- publication lists --------------------------------------------------------------------------
def parse_publication_list(html: str) -> PublicationList:
    """A ranked list page (/list/<id>-<slug>/): entries with rank, album, scores and blurb."""
    tree = _tree(html)
    rows = tree.css(".albumListRow")
    title = _text(tree.css_first(".listHeader h1")) or _text(tree.css_first("h1.headline"))
    if not rows or not title:
        raise AotyParseError("not a publication list page")
    source = tree.css_first(".listHeader a.gray")
    entries = []
    for row in rows:
        rank = to_int(_text(row.css_first(".albumListRank"))) or to_int((row.attributes.get("id") or "").removeprefix("rank-"))
        link = row.css_first(".albumListTitle a")
        ref = album_ref(link.attributes.get("href")) if link is not None else None
        if ref is None or rank is None:
            continue
        full = _text(link)
        artist, _, album_title = full.partition(" - ")
        if not album_title:
            artist, album_title = "", full
        assert link is not None  # ref came from it
        summary = AlbumSummary(aoty_id=ref[0], slug=ref[1], title=album_title, url=absolute(link.attributes.get("href")),
                               artist=artist, cover_url=_img(row.css_first(".albumListCover")),
                               date_text=_text(row.css_first(".albumListDate")))
        year = re.search(r"\b(19|20)\d{2}\b", summary.date_text)
        summary.year = int(year.group(0)) if year else None
        for box in row.css(".albumListScoreContainer"):
            header = _text(box.css_first(".scoreHeader")).lower()
            score = to_int(_text(box.css_first(".scoreValue")))
            count = to_count(_text(box.css_first(".scoreText")))
            if "user" in header:
                summary.user_score, summary.user_count = score, count
            else:
                summary.critic_score, summary.critic_count = score, count
        blurb_node = row.css_first(".albumListBlurb")
        review = blurb_node.css_first(".albumListBlurbLink a") if blurb_node is not None else None
        blurb = ""
        if blurb_node is not None:
            blurb = clean(blurb_node.text(deep=False)) or _text(blurb_node).replace(_text(review), "").strip()
        entries.append(ListEntry(rank=rank, album=summary, blurb=blurb,
                                 review_url=http_url(review.attributes.get("href")) if review is not None else ""))
    if not entries:
        raise AotyParseError("publication list without recognisable entries")
    canonical = tree.css_first('link[rel="canonical"]')
    list_id = ID_HREF.search(canonical.attributes.get("href") or "") if canonical is not None else None
    return PublicationList(title=title, entries=entries,
                           source_url=http_url(source.attributes.get("href")) if source is not None else "",
                           aoty_id=int(list_id.group(1)) if list_id else None)


def parse_list_index(html: str) -> ListIndex:
    """The year-end lists index (/lists.php?y=<year>): the publications' lists."""
    tree = _tree(html)
    headline = _text(tree.css_first("h1.headline"))
    pubs = tree.css(".listPub")
    if not pubs:
        raise AotyParseError("not a lists index page")
    lists, seen = [], set()
    for pub in pubs:
        link = pub.css_first(".listText a")
        if link is None:
            continue
        href = link.attributes.get("href") or ""
        if href in seen:
            continue
        seen.add(href)
        img = pub.css_first("img")
        match = ID_HREF.search(href)
        lists.append(ListLink(title=clean(img.attributes.get("alt")) if img is not None else _text(link),
                              publication=_text(link), url=absolute(href), aoty_id=int(match.group(1)) if match else None))
    return ListIndex(title=headline, lists=lists)

