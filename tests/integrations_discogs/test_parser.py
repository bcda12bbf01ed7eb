"""The pure marketplace page parser, on pages written from the live site's markup."""
from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.discogs.parser import parse_marketplace_page, parse_money
from integrations.discogs.types import condition_code, condition_rank
from integrations.errors import MalformedResponse


def test_parse_sell_list_reads_every_listing_field(discogs_data):
    listings = parse_marketplace_page((discogs_data / "sell_list_the_fall.html").read_text(), web_url="https://www.discogs.com")
    first = listings[0]
    assert first.listing_id == "2001001" and first.release_id == 372000
    assert (first.artist, first.title, first.format) == ("The Fall", "Dragnet", "LP, Album")
    assert (first.media_condition, first.sleeve_condition) == ("VG+", "VG")
    assert (first.price, first.currency, first.shipping) == (Decimal("29.00"), "USD", Decimal("6.00"))
    assert (first.seller, first.seller_rating, first.seller_ratings_count) == ("recordroom", Decimal("99.8"), 5412)
    assert first.ships_from == "United States" and first.catno == "SFLP 4"
    assert first.url == "https://www.discogs.com/sell/item/2001001"
    assert first.thumb == "https://i.discogs.com/thumb-372000.jpg"


def test_parse_reads_release_from_link_and_european_prices(discogs_data):
    listings = parse_marketplace_page((discogs_data / "sell_list_the_fall.html").read_text())
    grotesque = listings[2]
    assert grotesque.release_id == 1290440
    assert (grotesque.price, grotesque.currency, grotesque.shipping) == (Decimal("20.50"), "EUR", Decimal("14.00"))
    assert grotesque.sleeve_condition == "Generic" and grotesque.ships_from == "Germany"


def test_parse_unknown_shipping_and_skips_rows_without_item_link(discogs_data):
    listings = parse_marketplace_page((discogs_data / "sell_list_the_fall.html").read_text())
    assert len(listings) == 4  # the row without a /sell/item/ link is skipped, not guessed
    assert listings[3].shipping is None and listings[3].media_condition == "G" and listings[3].sleeve_condition == "F"


def test_parse_empty_marketplace_is_no_listings(discogs_data):
    assert parse_marketplace_page((discogs_data / "sell_release_empty.html").read_text()) == []


@pytest.mark.parametrize("html", ["", "not html", "<html><body><h1>Checking your browser</h1></body></html>"])
def test_parse_page_without_listing_table_is_malformed(html):
    with pytest.raises(MalformedResponse):
        parse_marketplace_page(html)


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("$1,234.50", Decimal("1234.50"), "USD"), ("€1.234,50", Decimal("1234.50"), "EUR"), ("£8", Decimal("8.00"), "GBP"),
    ("CA$12.00", Decimal("12.00"), "CAD"), ("+ shipping", None, ""),
])
def test_parse_money(text, amount, currency):
    assert parse_money(text) == (amount, currency)


def test_condition_codes_and_ranks():
    assert condition_code("Near Mint (NM or M-)") == "NM"
    assert condition_code("VG+") == "VG+"
    assert condition_code("Generic") == ""
    assert condition_rank("M") < condition_rank("VG+") < condition_rank("P") < condition_rank("")
