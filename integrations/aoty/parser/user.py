"""The parser for AOTY user profiles (/user/<name>/)."""
from __future__ import annotations

import re
from collections.abc import Iterable

from selectolax.lexbor import LexborNode

from ..errors import AotyParseError
from ..types import UserProfile, UserRatingItem
from .base import _album_block, _album_blocks, _img, _text, _tree, http_url, to_count, to_int

# -- user profile --------------------------------------------------------------------------------
_STAT_KEYS = {"ratings": "ratings_count", "reviews": "reviews_count", "lists": "lists_count",
              "followers": "followers_count", "following": "following_count"}
_SOCIAL = ("twitter", "instagram", "spotify", "lastfm", "last.fm", "youtube", "bsky", "bluesky", "threads", "rateyourmusic",
           "letterboxd", "soundcloud", "tiktok", "facebook", "x.com")


def _user_items(nodes: Iterable[LexborNode]) -> list[UserRatingItem]:
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
            setattr(profile, key, to_count(_text(stat.css_first(".stat, .value"))) or 0)
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
        count = to_count(_text(row.css_first(".distCount")))
        if label and count is not None:
            profile.rating_distribution[label] = count
    for a in tree.css(".profileLinks a, .socialLinks a"):
        url = http_url(a.attributes.get("href"))
        icon = " ".join(i.attributes.get("class") or "" for i in a.css("i")).lower()
        name = next((s for s in _SOCIAL if s in icon or s in url.lower()), "")
        if url and name:
            profile.social_links[{"last.fm": "lastfm", "bsky": "bluesky", "x.com": "twitter"}.get(name, name)] = url
    return profile

