"""Pure parsers for albumoftheyear.org pages: `parse_*(html) -> typed object`.

Built against real saved pages (see tests/integrations_aoty). They use selectolax's lexbor
parser, which is many times faster than BeautifulSoup with html.parser, and they prefer the
page's JSON-LD block where it exists. A page whose structure is not recognised raises
AotyParseError, so callers never store half-parsed data.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date, datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .errors import AotyParseError
from .types import (
    AlbumCredits,
    AlbumGrid,
    AlbumPage,
    AlbumStats,
    AlbumSummary,
    ArtistRef,
    Credit,
    CriticReview,
    ExternalLink,
    ListEntry,
    ListIndex,
    ListLink,
    NamedRef,
    PublicationList,
    SearchResults,
    Track,
    UserProfile,
    UserRatingItem,
    UserReview,
)

AOTY_ORIGIN = "https://www.albumoftheyear.org"
_ALBUM_HREF = re.compile(r"/album/(\d+)(?:-([^/?#]*?))?(?:\.php|/)?(?:[?#].*)?$")
_ARTIST_HREF = re.compile(r"/artist/(\d+)-([^/?#]+)/?")
ID_HREF = re.compile(r"/(?:label|genre|publication|list|song|critic)/(\d+)")
_INT = re.compile(r"-?\d[\d,]*")
_STREAMING = {"spotify", "apple music", "soundcloud", "tidal", "youtube", "youtube music", "deezer", "bandcamp", "amazon music"}
_WS = re.compile(r"\s+")
# The recorded pages put a space before every character entity ("Don &#039;t"); the live site
# does not. Undo it only where it is clearly an artefact: a space before an apostrophe inside a word.
_APOS_ARTEFACT = re.compile(r"(\w) (['’]\w)")


# -- small helpers ------------------------------------------------------------------------------
def _tree(html: str, *, full_page: bool = True) -> LexborHTMLParser:
    """Parsed HTML; a full page cut short (no closing </html>) is refused rather than half-read."""
    if not html or not html.strip():
        raise AotyParseError("empty page")
    if full_page and "</html>" not in html[-4096:].lower():
        raise AotyParseError("truncated page: no closing </html>")
    return LexborHTMLParser(html)


def clean(text: str | None) -> str:
    if not text:
        return ""
    text = html_lib.unescape(text).replace("\xa0", " ")
    text = _WS.sub(" ", text).strip()
    return _APOS_ARTEFACT.sub(r"\1\2", text)


def _text(node: LexborNode | None) -> str:
    return clean(node.text(deep=True)) if node is not None else ""


def to_int(text: str | None) -> int | None:
    if not text:
        return None
    match = _INT.search(text)
    return int(match.group(0).replace(",", "")) if match else None


def absolute(url: str | None) -> str:
    if not url:
        return ""
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return AOTY_ORIGIN + url
    return url


def album_ref(href: str | None) -> tuple[int, str] | None:
    """(aoty_id, slug) from an album link such as /album/564912-asap-rocky-dont-be-dumb.php."""
    if not href:
        return None
    match = _ALBUM_HREF.search(href)
    if not match:
        return None
    return int(match.group(1)), (match.group(2) or "")


def _artist(node: LexborNode | None, name: str | None = None) -> ArtistRef | None:
    if node is None:
        return ArtistRef(name=name) if name else None
    href = node.attributes.get("href") or ""
    match = _ARTIST_HREF.search(href)
    label = name if name is not None else _text(node)
    if not label:
        return None
    if match:
        return ArtistRef(name=label, aoty_id=int(match.group(1)), slug=match.group(2), url=absolute(href))
    return ArtistRef(name=label)


def _named(node: LexborNode) -> NamedRef:
    href = node.attributes.get("href") or ""
    match = ID_HREF.search(href)
    return NamedRef(name=_text(node), aoty_id=int(match.group(1)) if match else None, url=absolute(href))


def _length_seconds(text: str) -> int | None:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def _img(node: LexborNode | None) -> str:
    if node is None:
        return ""
    img = node if node.tag == "img" else node.css_first("img")
    if img is None:
        return ""
    return absolute(img.attributes.get("src") or img.attributes.get("data-src") or "")


def _json_ld(tree: LexborHTMLParser, kind: str) -> dict | None:
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text(deep=True))
        except (ValueError, TypeError):
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@type") == kind:
                return item
    return None


def parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


# -- album blocks (grids, search, similar) ---------------------------------------------------------
def _album_block(block: LexborNode) -> AlbumSummary | None:
    link = None
    for a in block.css("a"):
        ref = album_ref(a.attributes.get("href"))
        if ref:
            link = (a, ref)
            break
    if link is None:
        return None
    anchor, (aoty_id, slug) = link
    title = _text(block.css_first(".albumTitle"))
    if not title:
        return None
    artist_node = block.css_first(".artistTitle")
    artist_name = _text(artist_node)
    artist_link = None
    if artist_node is not None:
        parent = artist_node.parent
        if parent is not None and parent.tag == "a":
            artist_link = parent
    summary = AlbumSummary(
        aoty_id=aoty_id,
        slug=slug,
        title=title,
        url=absolute(anchor.attributes.get("href")),
        artist=artist_name,
        artist_ref=_artist(artist_link, artist_name) if artist_name else None,
        cover_url=_img(block.css_first(".image")),
        must_hear=block.css_first(".mustHear") is not None,
    )
    type_text = _text(block.css_first(".type"))
    if type_text:
        parts = [p.strip() for p in type_text.split("•")]
        summary.date_text = parts[0]
        if len(parts) > 1:
            summary.album_type = parts[1]
        year = re.search(r"\b(19|20)\d{2}\b", parts[0])
        summary.year = int(year.group(0)) if year else None
    for row in block.css(".ratingRow"):
        score = to_int(_text(row.css_first(".rating")))
        texts = [_text(t).lower() for t in row.css(".ratingText")]
        count = next((to_int(t) for t in texts if t.startswith("(")), None)
        if any("critic" in t for t in texts):
            summary.critic_score, summary.critic_count = score, count
        elif any("user" in t for t in texts):
            summary.user_score, summary.user_count = score, count
    return summary


def _album_blocks(nodes) -> list[AlbumSummary]:
    seen: set[int] = set()
    albums = []
    for block in nodes:
        summary = _album_block(block)
        if summary and summary.aoty_id not in seen:
            seen.add(summary.aoty_id)
            albums.append(summary)
    return albums


def _section_by_heading(tree: LexborHTMLParser, words: str) -> LexborNode | None:
    for heading in tree.css(".sectionHeading"):
        if words.lower() in _text(heading).lower():
            return heading.parent
    return None


# -- album page --------------------------------------------------------------------------------
def _album_id(tree: LexborHTMLParser, ld: dict | None) -> tuple[int, str, str] | None:
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
    if node is not None and (node.attributes.get("data-album-id") or "").isdigit():
        aoty_id = int(node.attributes["data-album-id"])
        return aoty_id, "", f"{AOTY_ORIGIN}/album/{aoty_id}.php"
    return None


def _score_box(box: LexborNode | None) -> tuple[int | None, float | None, int | None]:
    if box is None:
        return None, None, None
    anchor = box.css_first(".albumCriticScore a, .albumUserScore a") or box.css_first(".albumCriticScore, .albumUserScore")
    score = to_int(_text(anchor)) if anchor is not None else None
    exact = None
    if anchor is not None and anchor.attributes.get("title"):
        try:
            exact = float(anchor.attributes["title"])
        except ValueError:
            exact = None
    count_node = box.css_first(".numReviews strong")
    return score, exact, to_int(_text(count_node))


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
            primary, secondary = [], []
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
                rating_count=to_int(rating_node.attributes.get("title")) if rating_node is not None else None,
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
            url=(link.attributes.get("href") or "") if link is not None else "",
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
                likes=to_int(_text(row.css_first(".review_likes"))) or 0,
                date_text=_text(row.css_first(".review_date")).rstrip("*"),
                aoty_id=to_int(row_id) if row_id.startswith("review_") else None,
                section=kind,
                avatar_url=_img(row.css_first(".userReviewImage")),
            ))
    return reviews


def _links(tree: LexborHTMLParser) -> list[ExternalLink]:
    links = []
    for a in tree.css(".thirdPartyLinks a, .buyButtons a"):
        url = a.attributes.get("href") or ""
        name = clean(a.attributes.get("title")) or _text(a)
        if not url.startswith("http") or not name:
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
                                     slug=match.group(2) if match else "", url=item.get("url") or ""))
    if not artists:
        plain = _text(tree.css_first(".albumHeadline .artist"))
        if plain:
            artists = [ArtistRef(name=plain)]
    if not artists:
        raise AotyParseError(f"album {aoty_id}: no artist found")
    page = AlbumPage(aoty_id=aoty_id, slug=slug, url=url, title=title, artists=artists)
    if ld:
        page.release_date = parse_date(ld.get("datePublished") or "")
        page.cover_url = ld.get("image") or ""
    page.cover_url = page.cover_url or _img(tree.css_first(".albumTopBox.cover"))
    page.critic_score, page.critic_score_exact, page.critic_count = _score_box(tree.css_first(".albumCriticScoreBox"))
    page.user_score, page.user_score_exact, page.user_count = _score_box(tree.css_first(".albumUserScoreBox"))
    rating = (ld or {}).get("aggregateRating") or {}
    if page.critic_score is None and rating.get("ratingValue"):
        page.critic_score = to_int(str(rating["ratingValue"]))
    if page.critic_count is None and rating.get("ratingCount") is not None:
        page.critic_count = to_int(str(rating["ratingCount"]))
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
        page.more_by_artist = _album_blocks(more.css(".albumBlock"))
    return page


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
        count = to_int(text)
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
        summary = AlbumSummary(aoty_id=ref[0], slug=ref[1], title=album_title, url=absolute(link.attributes.get("href")),
                               artist=artist, cover_url=_img(row.css_first(".albumListCover")),
                               date_text=_text(row.css_first(".albumListDate")))
        year = re.search(r"\b(19|20)\d{2}\b", summary.date_text)
        summary.year = int(year.group(0)) if year else None
        for box in row.css(".albumListScoreContainer"):
            header = _text(box.css_first(".scoreHeader")).lower()
            score = to_int(_text(box.css_first(".scoreValue")))
            count = to_int(_text(box.css_first(".scoreText")))
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
                                 review_url=(review.attributes.get("href") or "") if review is not None else ""))
    if not entries:
        raise AotyParseError("publication list without recognisable entries")
    canonical = tree.css_first('link[rel="canonical"]')
    list_id = ID_HREF.search(canonical.attributes.get("href") or "") if canonical is not None else None
    return PublicationList(title=title, entries=entries,
                           source_url=(source.attributes.get("href") or "") if source is not None else "",
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


# -- user profile --------------------------------------------------------------------------------
_STAT_KEYS = {"ratings": "ratings_count", "reviews": "reviews_count", "lists": "lists_count",
              "followers": "followers_count", "following": "following_count"}
_SOCIAL = ("twitter", "instagram", "spotify", "lastfm", "last.fm", "youtube", "bsky", "bluesky", "threads", "rateyourmusic",
           "letterboxd", "soundcloud", "tiktok", "facebook", "x.com")


def _user_items(nodes) -> list[UserRatingItem]:
    items = []
    for block in nodes:
        summary = _album_block(block)
        if summary is None:
            continue
        rating_node = block.css_first(".ratingRow .rating, .rating")
        # The rating shown is this user's, not the album's score: keep it off the summary.
        summary.critic_score = summary.critic_count = summary.user_score = summary.user_count = None
        items.append(UserRatingItem(
            album=summary,
            rating=to_int(_text(rating_node)) if rating_node is not None else None,
            text=_text(block.css_first(".albumReviewText, .reviewText")),
            date_text=_text(block.css_first(".date, .ratingDate")),
        ))
    return items


def parse_user_profile(html: str) -> UserProfile:
    """A user profile (/user/<name>/): identity, counts, favourites, recent activity, rating distribution."""
    tree = _tree(html)
    head = tree.css_first(".profileHeadLeft, .profileHeader, .userProfile")
    canonical = tree.css_first('link[rel="canonical"]')
    username = ""
    for candidate in [canonical.attributes.get("href") if canonical is not None else "",
                      *(a.attributes.get("href") or "" for a in tree.css(".profileTabs a, .selectRow a"))]:
        match = re.search(r"/user/([^/]+)/", candidate or "")
        if match:
            username = match.group(1)
            break
    name_node = tree.css_first(".profileHeadLeft h1, .profileName h1, h1.profileName, .profileHeadline h1")
    if head is None or name_node is None or not username:
        raise AotyParseError("not a user profile page")
    profile = UserProfile(username=username, display_name=_text(name_node))
    profile.avatar_url = _img(tree.css_first(".profileImage"))
    profile.location = _text(tree.css_first(".profileLocation, .location"))
    profile.about = _text(tree.css_first(".aboutUser, .profileAbout"))
    since = _text(tree.css_first(".memberSince, .joinDate"))
    profile.member_since = re.sub(r"(?i)^member since:?\s*", "", since)
    for stat in tree.css(".profileStat"):
        label = _text(stat.css_first(".statLabel, .label")).lower()
        key = _STAT_KEYS.get(label)
        if key:
            setattr(profile, key, to_int(_text(stat.css_first(".stat, .value"))) or 0)
    favourites = tree.css_first(".favoriteAlbums, #favAlbums")
    if favourites is not None:
        profile.favorites = _album_blocks(favourites.css(".albumBlock"))
    recent = tree.css_first(".recentRatings, #recentRatings")
    if recent is not None:
        profile.recent_ratings = _user_items(recent.css(".albumBlock"))
    reviews = tree.css_first(".recentReviews, #recentReviews")
    if reviews is not None:
        profile.recent_reviews = _user_items(reviews.css(".albumBlock, .albumReviewRow"))
    for row in tree.css(".ratingDistribution .distRow, .distribution .distRow"):
        label = _text(row.css_first(".distLabel"))
        count = to_int(_text(row.css_first(".distCount")))
        if label and count is not None:
            profile.rating_distribution[label] = count
    for a in tree.css(".profileLinks a, .socialLinks a"):
        url = a.attributes.get("href") or ""
        icon = " ".join(i.attributes.get("class") or "" for i in a.css("i")).lower()
        name = next((s for s in _SOCIAL if s in icon or s in url.lower()), "")
        if url.startswith("http") and name:
            profile.social_links[{"last.fm": "lastfm", "bsky": "bluesky", "x.com": "twitter"}.get(name, name)] = url
    return profile


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
        setattr(stats, field, to_int(clean(parent.text(deep=False))))
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


# -- blocks and challenges -------------------------------------------------------------------------
_CHALLENGE_MARKERS = (
    "cf-chl", "challenge-platform", "cf_chl_opt", "<title>just a moment", "attention required! | cloudflare",
    "cf-browser-verification", "checking your browser before accessing", "enable javascript and cookies to continue",
)


def looks_like_challenge(html: str) -> bool:
    """True when a page is a Cloudflare challenge or block page rather than AOTY content."""
    head = html[:20000].lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS)
