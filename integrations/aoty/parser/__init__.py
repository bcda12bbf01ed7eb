"""Pure parsers for albumoftheyear.org pages: `parse_*(html) -> typed object`.

Built against real saved pages (see tests/albums/integrations_aoty). They use selectolax's lexbor
parser, which is many times faster than BeautifulSoup with html.parser, and they prefer the
page's JSON-LD block where it exists. A page whose structure is not recognised raises
AotyParseError, so callers never store half-parsed data. Split by page family: `base` (helpers,
album blocks, challenge pages), `album`, `lists` and `user`; this module re-exports the public names.
"""
from ..types import ListIndex
from .album import parse_album_credits, parse_album_page, parse_album_stats, parse_similar_page
from .base import (
    AOTY_ORIGIN,
    ID_HREF,
    absolute,
    album_ref,
    clean,
    http_url,
    looks_like_challenge,
    parse_date,
    to_count,
    to_int,
)
from .lists import parse_album_grid, parse_list_index, parse_publication_list, parse_search_page
from .user import parse_user_profile

__all__ = [
    "AOTY_ORIGIN", "ID_HREF", "ListIndex", "absolute", "album_ref", "clean", "http_url", "looks_like_challenge",
    "parse_album_credits", "parse_album_grid", "parse_album_page", "parse_album_stats", "parse_date", "parse_list_index",
    "parse_publication_list", "parse_search_page", "parse_similar_page", "parse_user_profile", "to_count", "to_int",
]
