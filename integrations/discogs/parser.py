"""Pure parsers for Discogs' public marketplace pages (/sell/list, /sell/release/<id>).

Listings are not in the documented API, so they are read from the HTML. The markup is the
marketplace table as served to browsers: one `tr.shortcut_navigable` per listing, with the
description, condition, seller and price cells. The parser leans on stable hooks (links to
/sell/item/<id>, /release/<id>, /seller/<name>, the "Media:", "Sleeve:" and "Ships From:"
labels, and the price's data attributes) and skips rows it cannot read rather than guessing.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from integrations.errors import MalformedResponse

from .types import MarketListing, condition_code

_ITEM_ID = re.compile(r"/sell/item/(\d+)")
_RELEASE_ID = re.compile(r"/release/(\d+)")
_SELLER = re.compile(r"/seller/([^/?#]+)")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_RATINGS = re.compile(r"([\d,.]+)\s*ratings?", re.I)
_MONEY = re.compile(r"([\d.,]+)")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "A$": "AUD", "CA$": "CAD", "C$": "CAD", "CHF": "CHF",
            "SEK": "SEK", "R$": "BRL", "MX$": "MXN", "NZ$": "NZD", "DKK": "DKK", "ZAR": "ZAR"}


def _text(node: Node | None) -> str:
    return " ".join(node.text(separator=" ").split()) if node is not None else ""


def parse_money(text: str) -> tuple[Decimal | None, str]:
    """'$25.00' -> (25.00, 'USD'); '€1.234,50' -> (1234.50, 'EUR'); (None, '') when no amount."""
    text = (text or "").strip()
    currency = ""
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if symbol in text:
            currency = _SYMBOLS[symbol]
            break
    match = _MONEY.search(text)
    if not match:
        return None, currency
    raw = match.group(1).strip(".,")
    if "," in raw and "." in raw:
        raw = raw.replace(",", "") if raw.rindex(".") > raw.rindex(",") else raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = f"{head.replace(',', '')}.{tail}" if len(tail) == 2 else raw.replace(",", "")
    try:
        return Decimal(raw).quantize(Decimal("0.01")), currency
    except InvalidOperation:
        return None, currency


def _after_label(text: str, label: str, stops: tuple[str, ...]) -> str:
    index = text.find(label)
    if index < 0:
        return ""
    rest = text[index + len(label):]
    end = len(rest)
    for stop in stops:
        at = rest.find(stop)
        if 0 <= at < end:
            end = at
    return rest[:end].strip(" :")


def _condition(text: str) -> str:
    """The graded part of 'Very Good Plus (VG+) Some tooltip text' -> 'VG+'."""
    match = re.search(r"\((M|NM or M-|VG\+|VG|G\+|G|F|P)\)", text)
    return condition_code(match.group(0)) if match else condition_code(text)


def _parse_row(row: Node, web_url: str) -> MarketListing | None:
    link = row.css_first("a[href*='/sell/item/']")
    if link is None:
        return None
    item = _ITEM_ID.search(link.attributes.get("href") or "")
    if not item:
        return None
    listing_id = item.group(1)
    release_id = row.attributes.get("data-release-id")
    if not release_id:
        release_link = row.css_first("a[href*='/release/']")
        found = _RELEASE_ID.search(release_link.attributes.get("href") or "") if release_link else None
        release_id = found.group(1) if found else None
    title_text = _text(link)
    artist, _, title = title_text.partition(" - ")
    if not title:
        artist, title = "", title_text
    fmt = ""
    fmt_match = re.search(r"\(([^()]*)\)\s*$", title)
    if fmt_match:
        fmt = fmt_match.group(1).strip()
        title = title[: fmt_match.start()].strip()

    condition_text = _text(row.css_first(".item_condition")) or _text(row)
    media = _condition(_after_label(condition_text, "Media:", ("Sleeve:",)))
    sleeve_raw = _after_label(condition_text, "Sleeve:", ("Media:",))
    sleeve = _condition(sleeve_raw) or (sleeve_raw.split(" ")[0] if sleeve_raw.startswith(("Generic", "No", "Not")) else "")
    if sleeve_raw.startswith("Not Graded"):
        sleeve = "Not Graded"
    elif sleeve_raw.startswith("No Cover"):
        sleeve = "No Cover"

    price_node = row.css_first(".price")
    price: Decimal | None = None
    currency = ""
    if price_node is not None:
        value = price_node.attributes.get("data-pricevalue")
        currency = (price_node.attributes.get("data-currency") or "").upper()
        if value:
            try:
                price = Decimal(value).quantize(Decimal("0.01"))
            except InvalidOperation:
                price = None
        if price is None:
            price, symbol_currency = parse_money(_text(price_node))
            currency = currency or symbol_currency
    if price is None or not currency:
        return None
    shipping_text = _text(row.css_first(".item_shipping"))
    shipping, _ = parse_money(shipping_text) if re.search(r"\d", shipping_text) else (None, "")

    seller_link = row.css_first(".seller_block a") or row.css_first("a[href*='/seller/']")
    seller = _text(seller_link)
    if not seller and seller_link is not None:
        match = _SELLER.search(seller_link.attributes.get("href") or "")
        seller = match.group(1) if match else ""
    seller_text = _text(row.css_first(".seller_info")) or ""
    rating_match = _PERCENT.search(seller_text)
    count_match = _RATINGS.search(seller_text)
    ships_from = _after_label(seller_text, "Ships From:", ("Ratings", "ratings", "Media:"))
    catno = _text(row.css_first(".item_catno"))
    label = _text(row.css_first(".label_and_cat a"))
    thumb_node = row.css_first("img")
    thumb = ""
    if thumb_node is not None:
        thumb = thumb_node.attributes.get("data-src") or thumb_node.attributes.get("src") or ""
    href = link.attributes.get("href") or ""
    return MarketListing(
        listing_id=listing_id,
        release_id=int(release_id) if release_id and str(release_id).isdigit() else None,
        title=title.strip(),
        artist=artist.strip(),
        price=price,
        currency=currency,
        media_condition=media,
        sleeve_condition=sleeve,
        shipping=shipping,
        seller=seller,
        seller_rating=Decimal(rating_match.group(1)) if rating_match else None,
        seller_ratings_count=int(count_match.group(1).replace(",", "").replace(".", "")) if count_match else None,
        ships_from=ships_from,
        format=fmt,
        label=label,
        catno=catno,
        url=href if href.startswith("http") else f"{web_url.rstrip('/')}{href}",
        thumb=thumb if thumb.startswith("http") else "",
    )


def parse_marketplace_page(html: str, *, web_url: str = "https://www.discogs.com") -> list[MarketListing]:
    """All listings on a /sell/list or /sell/release page. An empty marketplace gives []."""
    if not html or "<" not in html:
        raise MalformedResponse("Discogs marketplace page is empty or not HTML", service="discogs")
    tree = HTMLParser(html)
    rows = tree.css("tr.shortcut_navigable") or tree.css("table.mpitems tbody tr")
    if not rows and tree.css_first("table.mpitems, #pjax_container, .marketplace-empty, .no_results") is None:
        raise MalformedResponse("Discogs marketplace page has no listings table", service="discogs")
    listings = []
    seen = set()
    for row in rows:
        listing = _parse_row(row, web_url)
        if listing is not None and listing.listing_id not in seen:
            seen.add(listing.listing_id)
            listings.append(listing)
    return listings
