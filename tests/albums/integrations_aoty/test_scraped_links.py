"""Only http(s) URLs from scraped pages are stored, rendered as links or returned by the API."""
from __future__ import annotations

import pytest

from albums import services
from albums.models import Album
from integrations.aoty import parser
from tests.albums.conftest import ALBUM_PATH
from users_aoty.models import AotyUser

HOSTILE = {
    'href="https://www.amazon.com/s?k=night+ferry"': 'href="javascript:alert(document.cookie)"',
    'href="https://open.spotify.com/album/abc123"': 'href="data:text/html,<script>alert(1)</script>"',
    'href="https://example.com/review/night-ferry"': 'href=" JavaScript:alert(2)"',
}


@pytest.fixture
def hostile_album_html(aoty_data) -> str:
    html = (aoty_data / "album_small.html").read_text()
    for good, bad in HOSTILE.items():
        assert good in html
        html = html.replace(good, bad)
    return html


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.com/a", "https://example.com/a"), ("http://example.com", "http://example.com"),
    ("javascript:alert(1)", ""), ("JAVASCRIPT:alert(1)", ""), ("data:text/html,x", ""), ("vbscript:x", ""),
    ("//cdn.example.com/x.jpg", "https://cdn.example.com/x.jpg"), ("/album/1.php", f"{parser.AOTY_ORIGIN}/album/1.php"),
    ("https:///nohost", ""), ("ftp://example.com/x", ""),
])
def test_absolute_keeps_only_http_urls(url, expected):
    assert parser.absolute(url) == expected


def test_album_page_parser_drops_non_http_links(hostile_album_html):
    page = parser.parse_album_page(hostile_album_html)

    assert [link.name for link in page.links] == ["Bandcamp"]
    assert all(link.url.startswith("https://") for link in page.links)
    assert page.critic_reviews[0].url == ""


def test_album_with_hostile_links_stores_renders_and_returns_none_of_them(client, aoty, db, hostile_album_html):
    aoty.add(ALBUM_PATH, body=hostile_album_html, content_type="text/html")
    album = services.album_scrape(url=ALBUM_PATH)
    # A row stored before the parser checked links (or by other means) is not trusted either.
    Album.objects.filter(pk=album.pk).update(links=[{"name": "Evil", "url": "javascript:alert(3)", "kind": "buy"},
                                                    *album.links])
    services.album_payload_invalidate(album_id=album.pk)

    html = client.get(f"/albums/{album.pk}/").content.decode()
    body = client.get(f"/api/v1/albums/{album.pk}").json()

    assert "javascript:" not in html.lower() and "data:text/html" not in html
    assert "Bandcamp" in html and "Evil" not in html
    urls = [link["url"] for link in body["buy_links"] + body["stream_links"]]
    assert urls and all(url.startswith("https://") for url in urls)
    assert all(not r["url"] or r["url"].startswith("http") for r in body["critic_reviews"])


def test_profile_with_hostile_links_stores_renders_and_returns_none_of_them(client, aoty, aoty_data, db):
    html = (aoty_data / "user_profile.html").read_text()
    for good, bad in (('href="https://twitter.com/vinylmole"', 'href="javascript:alert(1)"'),
                      ('src="https://cdn.albumoftheyear.org/user/thumbs/vinylmole_1712345678.jpg"',
                       'src="data:image/svg+xml,<svg onload=alert(2)>"')):
        assert good in html
        html = html.replace(good, bad)
    aoty.add("/user/vinylmole/", body=html, content_type="text/html")
    body = client.get("/api/v1/aoty-users/vinylmole").json()
    # A row stored before the parser checked links (or by other means) is not trusted either.
    AotyUser.objects.filter(username="vinylmole").update(
        social_links={"twitter": "javascript:alert(3)", "lastfm": "https://www.last.fm/user/vinylmole"},
        avatar_url="data:image/png;base64,AAAA")

    page = client.get("/aoty-users/vinylmole/").content.decode()
    again = client.get("/api/v1/aoty-users/vinylmole").json()

    assert "twitter" not in body["social_links"] and body["avatar_url"] == ""
    assert again["social_links"] == {"lastfm": "https://www.last.fm/user/vinylmole"} and again["avatar_url"] == ""
    assert "javascript:" not in page.lower() and "data:image" not in page and "last.fm/user/vinylmole" in page
