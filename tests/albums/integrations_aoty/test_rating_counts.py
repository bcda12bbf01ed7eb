"""AOTY writes large counts as "(13.4K)" and "1.2M": every parser reads them as 13,400 and 1,200,000."""
from __future__ import annotations

import pytest

from integrations.aoty import parser


@pytest.mark.parametrize(("text", "expected"), [
    ("(13.4K)", 13_400), ("13.4K", 13_400), ("1.2M", 1_200_000), ("(1.2m)", 1_200_000), ("(148)", 148),
    ("20,489", 20_489), ("Based on 7K ratings", 7_000), ("(2.05K)", 2_050), ("", None), ("no ratings", None),
])
def test_to_count_reads_abbreviated_counts(text, expected):
    assert parser.to_count(text) == expected


def test_grid_reads_abbreviated_rating_counts(aoty_data):
    html = (aoty_data / "grid_small.html").read_text().replace("(1,207)", "(13.4K)", 1).replace("(4)", "(1.2M)", 1)

    first = parser.parse_album_grid(html).albums[0]

    assert first.user_count == 13_400 and first.critic_count == 1_200_000


def test_album_page_reads_abbreviated_rating_counts(aoty_data):
    html = (aoty_data / "album_small.html").read_text().replace("<strong>1,207</strong>", "<strong>13.4K</strong>")

    page = parser.parse_album_page(html)

    assert page.user_count == 13_400


def test_profile_reads_abbreviated_counts(aoty_data):
    html = (aoty_data / "user_profile.html").read_text().replace('<div class="stat">1,045</div>', '<div class="stat">1.2M</div>')

    profile = parser.parse_user_profile(html)

    assert profile.followers_count == 1_200_000 and profile.ratings_count == 2_418


def test_scores_are_not_read_as_counts(aoty_data):
    page = parser.parse_album_page((aoty_data / "album_small.html").read_text())

    assert page.user_count == 1_207 and page.critic_count == 4 and page.critic_score is not None


def test_search_totals_read_abbreviated_counts(aoty_data):
    html = (aoty_data / "search_empty.html").read_text().replace("Albums (0)", "Albums (1.2K)")

    results = parser.parse_search_page(html)

    assert results.total_albums == 1_200


def test_csv_import_reads_abbreviated_rating_counts(tmp_path, db):
    from albums import services
    from albums.models import Album

    csv = tmp_path / "top.csv"
    csv.write_text("id,title,artist,release_date,genres,user_score,rating_count,album_link\n"
                   '1,Night Ferry,Harbour Lights,"March 15, 2015",Dub,88,13.4K ratings,'
                   "https://www.albumoftheyear.org/album/900001-harbour-lights-night-ferry.php\n"
                   '2,Low Tide,Harbour Lights,"March 1, 2012",Dub,80,"1,207 ratings",'
                   "https://www.albumoftheyear.org/album/900010-harbour-lights-low-tide.php\n")

    services.import_aoty_csv(path=csv)

    assert dict(Album.objects.values_list("aoty_id", "user_count")) == {900001: 13_400, 900010: 1_207}
