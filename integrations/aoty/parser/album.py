"""Parsers for album pages, the standalone similar page, and the album's two side-request fragments."""
from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AotyParseError
from ..types import (
    AlbumCredits,
    AlbumPage,
    AlbumStats,
    AlbumSummary,
    ArtistRef,
    Credit,
    CriticReview,
    ExternalLink,
    NamedRef,
    Track,
    UserReview,
)
from .base import (
    _ARTIST_HREF,
    _STREAMING,
    AOTY_ORIGIN,
    ID_HREF,
    _album_blocks,
    _artist,
    _img,
    _json_ld,
    _length_seconds,
    _named,
    _section_by_heading,
    _text,
    _tree,
    absolute,
    album_ref,
    clean,
    http_url,
    parse_date,
    to_count,
    to_int,
)


# -- album page --------------------------------------------------------------------------------
def _album_id(tree: LexborHTMLParser, ld: dict[str, Any] | None) -> tuple[int, str, str] | None:
    candidates = []
    if ld:
        candidates += [ld.get("@id"), ld.get("url")]
    canonical = tree.css_first('link[rel="canonical"]')
    if canonical is not None:
        candidates.append(canonical.attributes.get("href"))
    og = tree.css_first('meta[property="og:url"]')
    if og is not None:
        candidates.append(og.attributes.get("content"))
    for url in candidates:
        ref = album_ref(url)
        if ref:
            return ref[0], ref[1], absolute(url)
    node = tree.css_first(".showMoreStats[data-album-id]") or tree.css_first("[data-album-id]")
    album_id = (node.attributes.get("data-album-id") or "") if node is not None else ""
    if album_id.isdigit():
        aoty_id = int(album_id)
        return aoty_id, "", f"{AOTY_ORIGIN}/album/{aoty_id}.php"
    return None


def _score_box(box: LexborNode | None) -> tuple[int | None, float | None, int | None]:
    if box is None:
        return None, None, None
    anchor = box.css_first(".albumCriticScore a, .albumUserScore a") or box.css_first(".albumCriticScore, .albumUserScore")
    score = to_int(_text(anchor)) if anchor is not None else None
    exact = None
    exact_text = anchor.attributes.get("title") if anchor is not None else None
    if exact_text:
        try:
            exact = float(exact_text)
        except ValueError:
            exact = None
    count_node = box.css_first(".numReviews strong")
    return score, exact, to_count(_text(count_node))


def _details(tree: LexborHTMLParser, page: AlbumPage) -> None:
    for row in tree.css(".albumTopBox.info .detailRow"):
        spans = [c for c in row.iter() if c.tag == "span"]
        label = _text(spans[-1]).lstrip("/").strip().lower() if spans else ""
        if spans and spans[-1].css_first(".fa-tags") is not None:
            label = "tags"
        if label == "release date":
            text = _text(row)
            page.release_date_text = clean(text.rsplit("/", 1)[0])
            page.release_date = page.release_date or parse_date(page.release_date_text)
        elif label == "format":
            page.album_type = clean(_text(row).rsplit("/", 1)[0])
        elif label in ("label", "labels"):
            page.labels = [_named(a) for a in row.css("a") if "/label/" in (a.attributes.get("href") or "")]
        elif label in ("genre", "genres"):
            primary: list[NamedRef] = []
            secondary: list[NamedRef] = []
            for a in row.css("a"):
                if "/genre/" not in (a.attributes.get("href") or ""):
                    continue
                (secondary if a.css_first(".secondary") is not None else primary).append(_named(a))
            page.genres, page.secondary_genres = primary, secondary
        elif label == "tags":
            page.tags = [_text(a) for a in row.css("a") if "/tag/" in (a.attributes.get("href") or "")]


def _tracks(tree: LexborHTMLParser) -> list[Track]:
    tracks: list[Track] = []
    container = tree.css_first("#tracklist .trackList") or tree.css_first(".trackList")
    if container is None:
        return tracks
    disc = 1
    for child in container.iter():
        classes = child.attributes.get("class") or ""
        if "discNumber" in classes:
            disc = to_int(_text(child)) or disc
            continue
        if child.tag != "table":
            continue
        for row in child.css("tr"):
            number_node = row.css_first(".trackNumber")
            title_cell = row.css_first(".trackTitle")
            if number_node is None or title_cell is None:
                continue
            link = title_cell.css_first("a")
            title = _text(link) if link is not None else clean(title_cell.text(deep=False))
            rating_node = row.css_first(".trackRating span")
            song = ID_HREF.search(link.attributes.get("href") or "") if link is not None else None
            tracks.append(Track(
                number=to_int(_text(number_node)) or len(tracks) + 1,
                title=title,
                disc=disc,
                length_seconds=_length_seconds(_text(title_cell.css_first(".length"))),
                rating=to_int(_text(rating_node)) if rating_node is not None else None,
                rating_count=to_count(rating_node.attributes.get("title")) if rating_node is not None else None,
                featured_artists=[_text(a) for a in title_cell.css(".featuredArtists a")],
                notes=_text(title_cell.css_first(".trackNotes")),
                aoty_song_id=int(song.group(1)) if song else None,
            ))
    return tracks


def _critic_reviews(tree: LexborHTMLParser) -> list[CriticReview]:
    reviews = []
    for row in tree.css("#critics .albumReviewRow"):
        publication = row.css_first(".publication a") or row.css_first(".publication")
        if publication is None:
            continue
        author = row.css_first(".author")
        link = row.css_first(".extLink a") or row.css_first(".albumReviewLinks a[href^='http']")
        menu = row.css_first("[data-review-id]")
        date_node = row.css_first(".albumReviewLinks .actionContainer[title]")
        reviews.append(CriticReview(
            publication=_text(publication),
            publication_url=absolute(publication.attributes.get("href")) if publication.tag == "a" else "",
            score=to_int(_text(row.css_first(".albumReviewRating"))),
            author=_text(author),
            excerpt=_text(row.css_first(".albumReviewText")),
            url=http_url(link.attributes.get("href")) if link is not None else "",
            aoty_id=to_int(menu.attributes.get("data-review-id")) if menu is not None else None,
            date_text=(date_node.attributes.get("title") or "") if date_node is not None else "",
        ))
    return reviews


def _user_reviews(tree: LexborHTMLParser) -> list[UserReview]:
    reviews = []
    for section in tree.css("section#users, section.userReviews"):
        heading = _text(section.css_first(".sectionHeading")).lower()
        kind = "recent" if "recent" in heading else "popular"
        for row in section.css(".albumReviewRow"):
            name_link = row.css_first(".userReviewName a")
            if name_link is None:
                continue
            href = name_link.attributes.get("href") or ""
            match = re.search(r"/user/([^/]+)/", href)
            text_node = row.css_first(".albumReviewText")
            if text_node is not None:
                for more in text_node.css("a.gray"):
                    more.decompose()
                paragraphs = [_text(p) for p in text_node.css("p")] or [_text(text_node)]
                text = "\n\n".join(p for p in paragraphs if p).removesuffix("...").strip()
            else:
                text = ""
            row_id = row.attributes.get("id") or ""
            reviews.append(UserReview(
                username=match.group(1) if match else clean(name_link.attributes.get("title") or _text(name_link)).lower(),
                display_name=clean(name_link.attributes.get("title")) or _text(name_link),
                rating=to_int(_text(row.css_first(".rating"))),
                text=text,
                likes=to_count(_text(row.css_first(".review_likes"))) or 0,
                date_text=_text(row.css_first(".review_date")).rstrip("*"),
                aoty_id=to_int(row_id) if row_id.startswith("review_") else None,
                section=kind,
                avatar_url=_img(row.css_first(".userReviewImage")),
            ))
    return reviews


def _links(tree: LexborHTMLParser) -> list[ExternalLink]:
    links = []
    for a in tree.css(".thirdPartyLinks a, .buyButtons a"):
        url = http_url(a.attributes.get("href"))
        name = clean(a.attributes.get("title")) or _text(a)
        if not url or not name:
            continue
        kind = "stream" if name.lower() in _STREAMING else "buy"
        link = ExternalLink(name=name, url=url, kind=kind)
        if link not in links:
            links.append(link)
    return links


def parse_album_page(html: str) -> AlbumPage:
    """An album page: metadata, scores, tracklist, reviews, links and the similar-albums block."""
    tree = _tree(html)
    ld = _json_ld(tree, "MusicAlbum")
    title_node = tree.css_first("h1.albumTitle")
    ident = _album_id(tree, ld)
    title = clean((ld or {}).get("name")) or _text(title_node)
    if ident is None or not title or (title_node is None and ld is None):
        raise AotyParseError("not an album page: no album title or id found")
    aoty_id, slug, url = ident
    artists = [a for a in (_artist(n) for n in tree.css(".albumHeadline .artist a")) if a]
    if not artists and ld and isinstance(ld.get("byArtist"), dict | list):
        by = ld["byArtist"] if isinstance(ld["byArtist"], list) else [ld["byArtist"]]
        for item in by:
            match = _ARTIST_HREF.search(item.get("url") or "")
            artists.append(ArtistRef(name=clean(item.get("name")), aoty_id=int(match.group(1)) if match else None,
                                     slug=match.group(2) if match else "", url=absolute(item.get("url"))))
    if not artists:
        plain = _text(tree.css_first(".albumHeadline .artist"))
        if plain:
            artists = [ArtistRef(name=plain)]
    if not artists:
        raise AotyParseError(f"album {aoty_id}: no artist found")
    page = AlbumPage(aoty_id=aoty_id, slug=slug, url=url, title=title, artists=artists)
    if ld:
        page.release_date = parse_date(ld.get("datePublished") or "")
        page.cover_url = absolute(ld.get("image") if isinstance(ld.get("image"), str) else "")
    page.cover_url = page.cover_url or _img(tree.css_first(".albumTopBox.cover"))
    page.critic_score, page.critic_score_exact, page.critic_count = _score_box(tree.css_first(".albumCriticScoreBox"))
    page.user_score, page.user_score_exact, page.user_count = _score_box(tree.css_first(".albumUserScoreBox"))
    rating = (ld or {}).get("aggregateRating") or {}
    if page.critic_score is None and rating.get("ratingValue"):
        page.critic_score = to_int(str(rating["ratingValue"]))
    if page.critic_count is None and rating.get("ratingCount") is not None:
        page.critic_count = to_count(str(rating["ratingCount"]))
    page.must_hear = tree.css_first(".albumTopBox.cover .mustHear, .albumHeadline .mustHear, .albumTopBox .mustHearBadge") is not None
    _details(tree, page)
    if not page.genres and ld and ld.get("genre"):
        genres = ld["genre"] if isinstance(ld["genre"], list) else [ld["genre"]]
        page.genres = [NamedRef(name=clean(g)) for g in genres]
    page.tracks = _tracks(tree)
    page.total_length_text = _text(tree.css_first(".totalLength")).replace("Total Length:", "").strip()
    page.critic_reviews = _critic_reviews(tree)
    page.user_reviews = _user_reviews(tree)
    page.links = _links(tree)
    similar = _section_by_heading(tree, "You May Also Like")
    if similar is not None:
        page.similar = _album_blocks(similar.css(".albumBlock"))
    more = _section_by_heading(tree, "More Albums")
    if more is not None:
        page.more_by_artist = _more_by_artist(more, artists[0])
    return page


def _more_by_artist(section: LexborNode, fallback: ArtistRef) -> list[AlbumSummary]:
    """The "More Albums" block. Its tiles name no artist (it is the page's), so each gets the one
    the heading links to (else the page's first artist): stored without it, the artist page missed them."""
    heading = section.css_first(".sectionHeading a")
    artist = _artist(heading, fallback.name) if heading is not None else None
    if artist is None or artist.aoty_id is None:
        artist = fallback
    albums = _album_blocks(section.css(".albumBlock"))
    for summary in albums:
        if not summary.artist:
            summary.artist = artist.name
            summary.artist_ref = artist
    return albums


# -- similar page ------------------------------------------------------------------------------
def parse_similar_page(html: str) -> list[AlbumSummary]:
    """The standalone /album/<id>-<slug>/similar/ page, or an album page's similar block."""
    tree = _tree(html)
    section = _section_by_heading(tree, "You May Also Like") or _section_by_heading(tree, "Similar")
    if section is None:
        headline = _text(tree.css_first("h1.headline")).lower()
        if "similar" not in headline and "also like" not in headline:
            raise AotyParseError("not a similar-albums page")
        root = tree.css_first("#centerContent .wideLeft") or tree.css_first("#centerContent")
        return _album_blocks(root.css(".albumBlock")) if root is not None else []
    return _album_blocks(section.css(".albumBlock"))



# -- side-request fragments -------------------------------------------------------------------------
_STAT_FIELDS = {"favorites": "favorites", "likes": "likes", "listens": "listens", "in library": "in_library", "lists": "lists"}


def parse_album_stats(html: str) -> AlbumStats:
    """The moreStatsAlbum.php fragment: favourites, likes, listens, in library, lists."""
    tree = _tree(html, full_page=False)
    stats = AlbumStats()
    found = False
    for tip in tree.css(".tooltiptext"):
        field = _STAT_FIELDS.get(_text(tip).lower())
        parent = tip.parent
        if field is None or parent is None:
            continue
        setattr(stats, field, to_count(clean(parent.text(deep=False))))
        found = True
    if not found:
        raise AotyParseError("not an album stats fragment")
    return stats


def parse_album_credits(html: str) -> AlbumCredits:
    """The showAlbumCredits.php fragment: credits grouped by section (Performers, Production, ...)."""
    tree = _tree(html, full_page=False)
    inner = tree.css_first(".inner")
    if inner is None:
        raise AotyParseError("not an album credits fragment")
    sections: dict[str, list[Credit]] = {}
    current = "Credits"
    for child in inner.iter():
        classes = child.attributes.get("class") or ""
        if "sectionTitle" in classes:
            current = _text(child) or current
            continue
        if "creditWrapper" not in classes:
            continue
        for credit in child.css(".credit"):
            name_link = credit.css_first(".name a")
            if name_link is None:
                continue
            roles = [_text(a) for a in credit.css(".songs a")]
            sections.setdefault(current, []).append(Credit(name=_text(name_link), roles=[r for r in roles if r],
                                                            artist=_artist(name_link)))
    if not sections:
        raise AotyParseError("credits fragment without credits")
    return AlbumCredits(sections=sections)

