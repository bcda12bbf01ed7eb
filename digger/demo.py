"""Offline demo content: saved searches with runs, listings and deals, a collection and want list, a cart
whose optimum differs from buying each want at its cheapest listing, and fair-price bands.

No credentials are stored, so the pages also show the clear "not configured" state. Idempotent. Every
row it creates is marked is_demo, and `unload` removes exactly those (rows that already existed are
left unmarked, so a real search or want with the same name is never taken over).
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from common.types import AuthUser

from .models import (
    Alert,
    CartPlan,
    CollectionItem,
    Listing,
    Notification,
    PriceHistory,
    ReleasePrice,
    SavedSearch,
    SearchRun,
)
from .services import CartOptions, cart_compute, listings_rematch, price_bands_compute

COLLECTION = [
    (1018055, "The Fall", "Live At The Witch Trials", 1979, "SFLP 1", "Step-Forward Records"),
    (2370027, "Brian Eno", "Working Backwards 1983-1973", 1983, "EGBS 2", "Editions EG"),
    (2749755, "Bridget Hayden", "A Siren Blares In An Indifferent Ocean", 2011, "K066", "(K-RAA-K)³"),
]
WANTS = [
    (372000, "The Fall", "Dragnet", 1979, "SFLP 4", "Step-Forward Records"),
    (1215019, "Joy Division", "Unknown Pleasures", 1979, "FACT 10", "Factory"),
    (2576104, "Cocteau Twins", "Treasure", 1984, "CAD 412", "4AD"),
    (79, "The Persuader", "City Of Islands", 1998, "SK029", "Svek"),
]
SEARCHES = [
    {"name": "The Fall – early LPs", "artist": "The Fall", "title": "", "platform": "both", "price_max": Decimal("60"),
     "min_media_condition": "VG+", "format": "Vinyl", "interval_hours": 24},
    {"name": "Unknown Pleasures under $40", "artist": "Joy Division", "title": "Unknown Pleasures", "platform": "both",
     "price_max": Decimal("40"), "min_media_condition": "VG", "format": "Vinyl", "interval_hours": 12},
    {"name": "Svek 12\"s", "query": "Svek", "platform": "discogs", "format": "12\"", "interval_hours": 48,
     "seller_location": "EU", "currency": "EUR"},
    {"name": "Want list sweep", "query": "want list", "platform": "both", "format": "Vinyl", "interval_hours": 24},
]
# search index, platform, external id, artist, title, release, condition, sleeve, prices (old -> new), shipping,
# seller, rating, ratings count, country, catno
LISTINGS = [
    (0, "discogs", "2001001", "The Fall", "Dragnet", 372000, "VG+", "VG+", ["34.00", "29.00"], "6.00", "recordroom", "99.8", 5412, "United States", "SFLP 4"),
    (0, "discogs", "2001002", "The Fall", "Live At The Witch Trials", 1018055, "NM", "VG+", ["45.00"], "6.00", "recordroom", "99.8", 5412, "United States", "SFLP 1"),
    (0, "discogs", "2001003", "The Fall", "Grotesque (After The Gramme)", None, "VG", "VG", ["22.00"], "14.00", "vinylvault_de", "98.9", 812, "Germany", "RTL 18"),
    (0, "ebay", "v1|110000000001|0", "", "THE FALL Dragnet LP 1979 Step Forward SFLP 4 UK original", None, "VG", "", ["31.50", "27.50"], "5.00", "crate_digger_77", "100.0", 1290, "US", ""),
    (1, "discogs", "2002001", "Joy Division", "Unknown Pleasures", 1215019, "VG+", "VG", ["38.00", "35.00"], "6.00", "recordroom", "99.8", 5412, "United States", "FACT 10"),
    (1, "discogs", "2002002", "Joy Division", "Unknown Pleasures", 1215019, "VG", "G+", ["18.00"], "16.00", "northern_soul_uk", "97.5", 230, "United Kingdom", "FACT 10"),
    (1, "ebay", "v1|110000000002|0", "", "Joy Division Unknown Pleasures vinyl LP Factory FACT 10 VG+", None, "VG+", "", ["39.99"], "4.50", "crate_digger_77", "100.0", 1290, "US", ""),
    (2, "discogs", "2003001", "The Persuader", "City Of Islands", 79, "VG+", "Generic", ["24.00", "19.50"], "7.50", "vinylvault_de", "98.9", 812, "Germany", "SK029"),
    (2, "discogs", "2003002", "The Persuader", "Stockholm", 1, "NM", "Generic", ["15.00"], "7.50", "vinylvault_de", "98.9", 812, "Germany", "SK001"),
    # The cart: buying each want at its cheapest listing alone takes Dragnet from crate_digger_77 and Treasure
    # from cheap_single; the optimum buys Dragnet with Unknown Pleasures from bundle_bin and saves on shipping.
    (3, "discogs", "2004001", "Joy Division", "Unknown Pleasures", 1215019, "VG+", "VG+",
     ["21.00", "19.50", "18.00", "17.50", "17.00"], "12.00", "bundle_bin", "99.6", 2210, "United States", "FACT 10"),
    (3, "discogs", "2004002", "The Fall", "Dragnet", 372000, "VG+", "VG", ["26.00"], "12.00", "bundle_bin", "99.6", 2210, "United States", "SFLP 4"),
    (3, "discogs", "2004003", "Cocteau Twins", "Treasure", 2576104, "VG+", "VG+", ["14.00"], "12.00", "bundle_bin", "99.6", 2210, "United States", "CAD 412"),
    (3, "discogs", "2004004", "Cocteau Twins", "Treasure", 2576104, "VG", "VG", ["12.00"], "5.00", "cheap_single", "98.1", 140, "United States", "CAD 412"),
]
MARKET = {372000: {"VG+": "36.00", "VG": "24.00", "NM": "48.00"}, 1018055: {"NM": "52.00", "VG+": "40.00"},
          1215019: {"VG+": "12.83", "VG": "8.88", "NM": "16.78"}, 79: {"VG+": "26.00", "NM": "32.00"},
          1: {"NM": "18.00", "VG+": "14.00"}}



def load(*, user: AuthUser, staff: AuthUser, stdout: TextIO) -> None:
    now = timezone.now()
    for kind, rows in ((CollectionItem.Kind.COLLECTION, COLLECTION), (CollectionItem.Kind.WANT, WANTS)):
        for index, (rid, artist, title, year, catno, label) in enumerate(rows):
            fields = {"artist": artist, "title": title, "year": year, "catno": catno, "label": label,
                      "format": "Vinyl, LP, Album", "date_added": now - timedelta(days=30 + index)}
            CollectionItem.objects.update_or_create(user=user, kind=kind, release_id=rid, defaults=fields,
                                                    create_defaults={**fields, "is_demo": True})
    for rid, suggestions in MARKET.items():
        market = {"currency": "USD", "suggestions": suggestions, "fetched_at": now}
        ReleasePrice.objects.update_or_create(release_id=rid, defaults=market, create_defaults={**market, "is_demo": True})
    searches = []
    for data in SEARCHES:
        fields = {"query": "", "artist": "", "title": "", "currency": "USD", "seller_location": "any", **data}
        values = {**fields, "last_run_at": now - timedelta(hours=2)}
        search, _ = SavedSearch.objects.update_or_create(user=user, name=data["name"], defaults=values,
                                                         create_defaults={**values, "is_demo": True})
        searches.append(search)
    for search in searches:
        if not search.runs.exists():
            for days, found, new in ((3, 2, 2), (0, 3, 1)):
                run = SearchRun.objects.create(
                    search=search, status=SearchRun.Status.SUCCEEDED, trigger=SearchRun.Trigger.SCHEDULED,
                    started_at=now - timedelta(days=days, seconds=4), finished_at=now - timedelta(days=days),
                    found=found, new=new, done=5, total=5, message=f"{found} listings: {new} new, 0 changed, 0 gone",
                    report={"found": found, "new": new, "changed": 0, "gone": 0, "duration_s": 3.8, "errors": [],
                            "platforms": {"discogs": {"found": found}}})
                SearchRun.objects.filter(pk=run.pk).update(created_at=now - timedelta(days=days, seconds=5))
    for (si, platform, ext, artist, title, release, cond, sleeve, prices, ship, seller, rating, count, country,
         catno) in LISTINGS:
        search = searches[int(si)]
        latest_run = search.runs.first()
        listing, created = Listing.objects.update_or_create(search=search, platform=platform, external_id=ext, defaults={
            "artist": artist, "title": title, "release_id": release, "media_condition": cond, "sleeve_condition": sleeve,
            "price": Decimal(prices[-1]), "currency": search.currency if platform == "discogs" and search.currency != "USD" else "USD",
            "shipping": Decimal(ship), "seller": seller, "seller_rating": Decimal(rating), "seller_ratings_count": count,
            "seller_country": country, "catno": catno, "status": Listing.Status.ACTIVE,
            "url": (f"https://www.discogs.com/sell/item/{ext}" if platform == "discogs"
                    else f"https://www.ebay.com/itm/{ext.split('|')[1]}"),
            "market_price": Decimal(MARKET.get(release or 0, {}).get(cond, "0")) or None if release else None,
            "first_seen_at": now - timedelta(days=3 if len(prices) > 1 else 0), "last_seen_at": now,
            "first_run": latest_run, "last_run": latest_run})
        if created or not listing.prices.exists():
            for index, price in enumerate(prices):
                PriceHistory.objects.create(listing=listing, price=Decimal(price), currency=listing.currency,
                                            shipping=listing.shipping,
                                            recorded_at=now - timedelta(days=3 * (len(prices) - 1 - index)))
    changed = listings_rematch(user=user)
    if not Notification.objects.filter(user=user).exists():
        notice = Notification.objects.create(user=user, kind="match", is_demo=True, search=searches[0],
                                             message="2 new want-list matches for “The Fall – early LPs”",
                                             url=f"/digger/searches/{searches[0].pk}/?wanted=1")
        notice.listings.set(Listing.objects.filter(search=searches[0], in_wantlist=True))
    bands = price_bands_compute(release_ids=list(MARKET) + [rid for rid, *_ in WANTS])
    if not CartPlan.objects.filter(user=user, is_demo=True).exists():
        plan = cart_compute(user=user, options=CartOptions())
        CartPlan.objects.create(user=user, is_demo=True, status=plan["status"], plan=plan, currency=plan["currency"],
                                landed_total=Decimal(plan["landed_total"]), optimal=plan["optimal"], gap=plan["gap"])
    stdout.write(f"  digger: {len(searches)} saved searches, {len(LISTINGS)} listings ({changed} re-matched), "
                 f"{len(COLLECTION)} collection items, {len(WANTS)} wanted, {bands['bands']} price bands, a solved cart; "
                 "no credentials (shows 'not configured')")


def unload(*, stdout: TextIO) -> None:
    """Removes exactly the rows load() marked as demo (listings, runs and prices go with their searches)."""
    counts = {}
    for model in (Alert, CartPlan, Notification, SavedSearch, CollectionItem, ReleasePrice):
        counts[model.__name__] = model.objects.filter(is_demo=True).delete()[0]
    releases = list(MARKET) + [rid for rid, *_ in WANTS]
    price_bands_compute(release_ids=releases)  # the bands rested on demo prices: recompute from what is left
    stdout.write(f"  digger: removed {sum(counts.values())} demo rows ({counts})")
