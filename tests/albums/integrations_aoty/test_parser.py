"""The pure parsers, on the real recorded AOTY pages and on our own small pages."""
from __future__ import annotations

import pytest

from integrations.aoty import parser
from integrations.aoty.errors import AotyParseError
from tests.albums.conftest import REAL_ALBUM

pytestmark = pytest.mark.shared_fixtures


# -- real recordings -------------------------------------------------------------------------------------
def test_parse_album_page_reads_real_album_metadata(real_aoty):
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())

    assert page.aoty_id == 564912
    assert page.slug == "asap-rocky-dont-be-dumb"
    assert page.title == "Don't Be Dumb"
    assert [a.name for a in page.artists] == ["A$AP Rocky"]
    assert page.artists[0].aoty_id == 2003
    assert str(page.release_date) == "2026-01-16"
    assert page.album_type == "LP"
    assert [label.name for label in page.labels] == ["A$AP"]
    assert [g.name for g in page.genres] == ["Trap", "East Coast Hip Hop"]
    assert [g.name for g in page.secondary_genres] == [
        "Cloud Rap", "Experimental Hip Hop", "Hardcore Hip Hop", "Neo-Psychedelia", "Memphis Rap"]
    assert page.cover_url.endswith("564912-dont-be-dumb_084139.jpg")
    assert page.must_hear is False


def test_parse_album_page_reads_real_scores_and_counts(real_aoty):
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())

    assert (page.critic_score, page.critic_count) == (70, 17)
    assert page.critic_score_exact == pytest.approx(70.3794)
    assert (page.user_score, page.user_count) == (75, 20489)


def test_parse_album_page_reads_real_tracklist(real_aoty):
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())

    assert len(page.tracks) == 17
    first, third, fifth = page.tracks[0], page.tracks[2], page.tracks[4]
    assert (first.number, first.title, first.length_seconds, first.rating, first.rating_count) == (1, "ORDER OF PROTECTION", 171, 77, 4304)
    assert (third.title, third.notes, third.rating) == ("INTERROGATION", "Skit", 64)
    assert fifth.featured_artists == ["Brent Faiyaz"]
    assert page.tracks[-1].title == "FISH N STEAK (WHAT IT IS)"
    assert page.tracks[-1].featured_artists == ["Tyler, The Creator", "Jozzy"]
    assert page.total_length_text == "59 minutes"


def test_parse_album_page_reads_real_reviews(real_aoty):
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())

    assert len(page.critic_reviews) == 17
    top = page.critic_reviews[0]
    assert (top.publication, top.author, top.score) == ("AllMusic", "Fred Thomas", 80)
    assert top.url == "https://www.allmusic.com/album/dont-be-dumb-mw0004327122"
    assert top.excerpt.startswith("Rocky continues his tendency")
    popular = [r for r in page.user_reviews if r.section == "popular"]
    recent = [r for r in page.user_reviews if r.section == "recent"]
    assert len(popular) == 3 and len(recent) == 3
    assert (popular[0].username, popular[0].rating, popular[0].likes) == ("siggerssss", 70, 870)
    assert recent[0].display_name == "OreilleVive"
    assert "read more" not in " ".join(r.text for r in page.user_reviews)


def test_parse_album_page_reads_real_similar_and_links(real_aoty):
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())

    assert [(s.aoty_id, s.artist, s.title) for s in page.similar] == [
        (815383, "Playboi Carti", "MUSIC"), (289791, "Travis Scott", "UTOPIA"),
        (1263257, "Playboi Carti", "MUSIC - SORRY 4 DA WAIT"), (1384430, "The Scythe", "Strictly 4 The Scythe"),
        (1228991, "Lil Tecca", "DOPAMINE"), (1675875, "Baby Keem", "Ca$ino"),
    ]
    assert len(page.more_by_artist) == 6
    assert {link.name: link.kind for link in page.links} == {
        "Amazon": "buy", "Apple Music": "stream", "Spotify": "stream", "SoundCloud": "stream", "Buy Vinyl": "buy"}


@pytest.mark.parametrize("name, title, count, first_title, has_next", [
    ("releases_new_albums_page1.html", "New Album Releases", 60, "BULLDAWG", True),
    ("upcoming_page1.html", "Upcoming Album Releases", 60, "EVERYTHING BEAUTIFUL DIED EARLY", True),
    ("must_hear_2020s.html", "Must Hear Albums", 60, "Train on the Island", True),
    ("discover_popular_now.html", "Popular Now", 30, "Heavy Serenade", False),
    ("discover_anticipated.html", "Highly Anticipated Albums", 30, "you seem pretty sad for a girl so in love", False),
    ("discover_under_radar.html", "Under the Radar", 30, "Risk of Rain 2: Alloyed Collective", False),
])
def test_parse_album_grid_reads_real_grids(real_aoty, name, title, count, first_title, has_next):
    grid = parser.parse_album_grid((real_aoty / name).read_text())

    assert grid.title == title
    assert len(grid.albums) == count
    assert grid.albums[0].title == first_title
    assert grid.has_next is has_next


def test_parse_album_grid_reads_real_scores_and_must_hear(real_aoty):
    releases = parser.parse_album_grid((real_aoty / "releases_new_albums_page1.html").read_text())
    must_hear = parser.parse_album_grid((real_aoty / "must_hear_2020s.html").read_text())

    bulldawg = releases.albums[0]
    assert (bulldawg.artist, bulldawg.album_type, bulldawg.user_score, bulldawg.user_count) == ("Kenny Mason", "LP", 82, 148)
    train = must_hear.albums[0]
    assert (train.critic_score, train.critic_count, train.user_score, train.user_count) == (83, 17, 75, 728)
    assert all(a.must_hear for a in must_hear.albums)


def test_parse_search_page_reads_real_results(real_aoty):
    albums = parser.parse_search_page((real_aoty / "search_albums_q_kanye.html").read_text())
    artists = parser.parse_search_page((real_aoty / "search_artists_q_kanye.html").read_text())
    labels = parser.parse_search_page((real_aoty / "search_labels_q_kanye.html").read_text())
    everything = parser.parse_search_page((real_aoty / "search_all_q_kanye.html").read_text())

    assert albums.query == "kanye" and albums.total_albums == 490 and len(albums.albums) == 60
    assert (albums.albums[0].aoty_id, albums.albums[0].artist, albums.albums[0].year) == (43815, "The Chainsmokers", 2014)
    assert artists.total_artists == 11 and artists.artists[0].name == "Kanye West" and artists.artists[0].aoty_id == 183
    assert labels.total_labels == 141 and labels.labels[0].name == "G.O.O.D. MUSIC" and labels.labels[0].aoty_id == 119
    assert everything.albums and everything.artists[0].name == "Kanye West"


def test_parse_publication_list_reads_real_ranked_entries(real_aoty):
    plist = parser.parse_publication_list((real_aoty / "list_the-needle-drop-top-50-albums-2025.html").read_text())

    assert plist.title == "The Needle Drop's Top 50 Albums of 2025"
    assert len(plist.entries) == 50
    assert [e.rank for e in plist.entries[:2]] == [50, 49]
    assert plist.entries[-1].rank == 1
    first = plist.entries[0]
    assert (first.album.artist, first.album.title, first.album.critic_score, first.album.critic_count) == (
        "Earl Sweatshirt", "Live Laugh Love", 82, 13)
    assert first.blurb == "One of Earl's strongest releases."


def test_parse_list_index_reads_real_year_end_lists(real_aoty):
    index = parser.parse_list_index((real_aoty / "lists_year_end_2022.html").read_text())

    assert index.title == "2022 Music Year End Lists"
    assert len(index.lists) > 100
    assert (index.lists[0].publication, index.lists[0].aoty_id) == ("A.V. Club", 1986)


def test_parse_album_stats_reads_real_fragment(real_aoty):
    stats = parser.parse_album_stats((real_aoty / "scripts_moreStatsAlbum_564912_response.html").read_text())

    assert (stats.favorites, stats.likes, stats.listens, stats.in_library, stats.lists) == (47, 3499, 21437, 2267, 3570)


def test_parse_album_credits_reads_real_fragment(real_aoty):
    credits = parser.parse_album_credits((real_aoty / "scripts_showAlbumCredits_564912_response.html").read_text())

    assert list(credits.sections) == ["Performers", "Composition & Lyrics", "Production & Engineering"]
    first = credits.sections["Performers"][0]
    assert (first.name, first.roles, first.artist.aoty_id) == ("A$AP Rocky", ["Primary", "Performer"], 2003)


def test_parse_album_page_refuses_real_grid_page(real_aoty):
    with pytest.raises(AotyParseError):
        parser.parse_album_page((real_aoty / "releases_new_albums_page1.html").read_text())


def test_parse_album_page_refuses_truncated_real_page(real_aoty):
    html = (real_aoty / REAL_ALBUM).read_text()
    with pytest.raises(AotyParseError, match="truncated"):
        parser.parse_album_page(html[: len(html) // 2])


# -- our own pages -----------------------------------------------------------------------------------------
def test_parse_album_page_reads_own_page_with_two_discs_and_must_hear(aoty_data):
    page = parser.parse_album_page((aoty_data / "album_small.html").read_text())

    assert (page.aoty_id, page.title, page.must_hear) == (900001, "Night Ferry", True)
    assert [(t.disc, t.number, t.title, t.length_seconds, t.rating) for t in page.tracks] == [
        (1, 1, "Departures", 252, 82), (1, 2, "Foghorn", 238, 88), (2, 1, "Arrivals", 3725, None)]
    assert page.tracks[1].featured_artists == ["Mara Vale"]
    assert [label.name for label in page.labels] == ["Quay Records", "Tidewater"]
    assert page.tags == ["nocturnal", "lush"]
    assert (page.user_score, page.user_count) == (78, 1207)
    assert [r.publication for r in page.critic_reviews] == ["The Line of Best Fit", "DIY", "The Guardian", "NME"]
    assert [(r.section, r.username, r.text) for r in page.user_reviews] == [
        ("popular", "tidepool", "The closer made me miss my stop.\n\nTwice."), ("recent", "grey-gull", "Fine background music")]
    assert page.user_reviews[0].likes == 1204
    assert [s.title for s in page.similar] == ["everything is alive", "Once Twice Melody", "Heaven or Las Vegas"]


def test_parse_album_grid_ignores_sidebar_and_keeps_unlinked_artist(aoty_data):
    grid = parser.parse_album_grid((aoty_data / "grid_small.html").read_text())

    assert [a.aoty_id for a in grid.albums] == [900001, 900005]
    assert grid.albums[1].artist == "Pale Rider & Friends"
    assert grid.albums[1].artist_ref.aoty_id is None
    assert (grid.albums[0].critic_score, grid.albums[0].user_count) == (81, 1207)


def test_parse_user_profile_reads_own_profile_page(aoty_data):
    profile = parser.parse_user_profile((aoty_data / "user_profile.html").read_text())

    assert (profile.username, profile.display_name, profile.location, profile.member_since) == (
        "vinylmole", "VinylMole", "Leeds, UK", "May 2019")
    assert (profile.ratings_count, profile.reviews_count, profile.lists_count, profile.followers_count,
            profile.following_count) == (2418, 312, 27, 1045, 88)
    assert [a.title for a in profile.favorites] == ["To Pimp a Butterfly", "Don't Be Dumb", "Train on the Island"]
    assert [(r.album.title, r.rating, r.date_text) for r in profile.recent_ratings] == [("BULLDAWG", 85, "2d"), ("Heavy Serenade", 62, "5d")]
    assert profile.recent_ratings[0].album.user_score is None  # the user's rating is not the album's score
    assert profile.recent_reviews[0].text.startswith("Eight years for this?")
    assert profile.rating_distribution["70-79"] == 898 and sum(profile.rating_distribution.values()) == 2418
    assert profile.social_links == {"twitter": "https://twitter.com/vinylmole", "lastfm": "https://www.last.fm/user/vinylmole",
                                    "spotify": "https://open.spotify.com/user/vinylmole"}


@pytest.mark.parametrize("html", [
    "",
    "<html><body><p>Hello</p></body></html>",
    "<html><body><h1 class='albumTitle'>No id anywhere</h1></body></html>",
])
def test_parse_album_page_refuses_unrecognised_markup(html):
    with pytest.raises(AotyParseError):
        parser.parse_album_page(html)


def test_parse_album_page_refuses_truncated_own_page(aoty_data):
    html = (aoty_data / "album_small.html").read_text()
    with pytest.raises(AotyParseError):
        parser.parse_album_page(html[:3000])


@pytest.mark.parametrize("parse", [parser.parse_search_page, parser.parse_album_grid, parser.parse_publication_list,
                                   parser.parse_user_profile, parser.parse_list_index])
def test_parsers_refuse_an_album_page_as_the_wrong_kind(aoty_data, parse):
    with pytest.raises(AotyParseError):
        parse((aoty_data / "album_small.html").read_text())


def test_parse_fragments_refuse_unrelated_html():
    with pytest.raises(AotyParseError):
        parser.parse_album_stats("<div>nothing here</div>")
    with pytest.raises(AotyParseError):
        parser.parse_album_credits("<div>nothing here</div>")


def test_looks_like_challenge_spots_cloudflare_page(aoty_data):
    assert parser.looks_like_challenge((aoty_data / "challenge.html").read_text())
    assert not parser.looks_like_challenge((aoty_data / "album_small.html").read_text())


def test_parse_similar_page_reads_own_full_similar_page(aoty_data):
    albums = parser.parse_similar_page((aoty_data / "similar_page.html").read_text())

    assert [a.aoty_id for a in albums] == [900002, 900003, 900004, 900007, 900008]
    assert albums[3].artist == "Mazzy Star"


def test_parse_similar_page_reads_album_pages_block(real_aoty):
    albums = parser.parse_similar_page((real_aoty / REAL_ALBUM).read_text())

    assert [a.title for a in albums][:2] == ["MUSIC", "UTOPIA"] and len(albums) == 6


def test_parse_similar_page_refuses_other_pages(aoty_data):
    with pytest.raises(AotyParseError):
        parser.parse_similar_page((aoty_data / "grid_small.html").read_text())


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Night\xa0 Ferry\n\t", "Night Ferry"), ("A\u2003B", "A B"), ("Don &#039;t Be Dumb", "Don't Be Dumb"),
    ("it ’s", "it’s"), ("Q&amp;A", "Q&A"), ("", ""), (None, ""),
])
def test_clean_collapses_spaces_and_undoes_the_apostrophe_artefact(raw, expected):
    assert parser.clean(raw) == expected
