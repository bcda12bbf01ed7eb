"""Deal scoring: listings grouped by seller, each seller scored, labelled and typed.

The formula (weights are settings.DIGGER_SCORE_WEIGHTS; every sub-score is in [0, 1]):

    score = 100 * (w_price * price + w_reputation * reputation + w_inventory * inventory
                   + w_location * location) / (sum of weights)

* price: for each item with a market price m (Discogs' price suggestion for its condition, else the
  release's lowest listed price) and asking price p: clamp(0.5 + (m - p) / m, 0, 1), so paying the
  market price scores 0.5, half price scores 1 and 1.5x the market scores 0. The seller's value is
  the mean over those items; 0.5 (neutral) when none has a market price.
* reputation: 0.6 * clamp((positive% - 90) / 10, 0, 1) + 0.4 * min(1, log10(ratings + 1) / 4),
  so 100 % positive over 10,000 ratings scores 1; 0.3 when unknown.
* inventory: min(1, (wanted + 0.25 * others) / 3): three want-list items from one seller is the
  best case, since they share one shipment.
* location: 1 when the seller is in the user's preferred region, 0.2 when not, 0.6 when either is
  unknown or the user has no preference.

Labels: excellent >= 80, very good >= 65, good >= 50, else fair. Types: multi-item (2+ items),
best price (holds the cheapest listing of some release among all the user's listings), high
feedback (>= 99.5 % over >= 500 ratings) and location (in the preferred region).

Shipping is estimated per seller: the highest known shipping of its items (else the first-item
rate for domestic or international) plus the additional-item rate for each further item.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

EU = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
EU_NAMES = {"austria", "belgium", "bulgaria", "croatia", "cyprus", "czech republic", "czechia", "denmark", "estonia",
            "finland", "france", "germany", "greece", "hungary", "ireland", "italy", "latvia", "lithuania",
            "luxembourg", "malta", "netherlands", "poland", "portugal", "romania", "slovakia", "slovenia", "spain",
            "sweden"}
LABELS = [(80, "excellent"), (65, "very_good"), (50, "good"), (0, "fair")]
TYPE_LABELS = {"multi_item": "multi-item", "best_price": "best price", "high_feedback": "high feedback",
               "location": "location"}
CENT = Decimal("0.01")


def region_of(country: str) -> str:
    """'US' / 'United States' -> 'US'; 'GB' / 'United Kingdom' -> 'UK'; EU members -> 'EU'; else ''."""
    value = (country or "").strip()
    low = value.lower()
    if value.upper() in ("US", "USA") or low == "united states":
        return "US"
    if value.upper() in ("GB", "UK") or low in ("united kingdom", "uk"):
        return "UK"
    if value.upper() in EU or low in EU_NAMES:
        return "EU"
    return ""


@dataclass
class DealItem:
    listing_id: int
    title: str
    artist: str
    price: Decimal
    currency: str
    shipping: Decimal | None = None
    market_price: Decimal | None = None
    in_wantlist: bool = False
    in_collection: bool = False
    release_id: int | None = None
    media_condition: str = ""
    url: str = ""
    key: str = ""  # what "best price" compares on (release id, else normalised title)
    tag: str = ""  # "steal" / "high" against the release's fair-price band (selectors.deals_for_user)


@dataclass
class Deal:
    platform: str
    seller: str
    currency: str
    items: list[DealItem]
    seller_rating: Decimal | None = None
    seller_ratings_count: int | None = None
    seller_country: str = ""
    score: float = 0.0
    label: str = "fair"
    types: list[str] = field(default_factory=list)
    subscores: dict[str, float] = field(default_factory=dict)
    subtotal: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")
    total: Decimal = Decimal("0")

    @property
    def wanted_count(self) -> int:
        return sum(1 for i in self.items if i.in_wantlist)

    @property
    def label_display(self) -> str:
        return self.label.replace("_", " ")

    @property
    def type_labels(self) -> list[str]:
        return [TYPE_LABELS.get(t, t) for t in self.types]


def price_score(items: Iterable[DealItem]) -> float:
    values = []
    for item in items:
        if item.market_price and item.market_price > 0:
            ratio = float((item.market_price - item.price) / item.market_price)
            values.append(min(1.0, max(0.0, 0.5 + ratio)))
    return sum(values) / len(values) if values else 0.5


def reputation_score(rating: Decimal | None, count: int | None) -> float:
    if rating is None and not count:
        return 0.3
    positive = min(1.0, max(0.0, (float(rating or 0) - 90.0) / 10.0))
    volume = min(1.0, math.log10((count or 0) + 1) / 4.0)
    return 0.6 * positive + 0.4 * volume


def inventory_score(wanted: int, total: int) -> float:
    return min(1.0, (wanted + 0.25 * (total - wanted)) / 3.0)


def location_score(seller_country: str, preferred: str) -> float:
    region = region_of(seller_country)
    if not preferred or preferred == "any" or not region:
        return 0.6
    return 1.0 if region == preferred else 0.2


def estimate_shipping(items: list[DealItem], *, domestic: bool) -> Decimal:
    """Highest known shipping (else the first-item rate) plus the additional-item rate per further item."""
    rates = settings.DIGGER_SHIPPING["domestic" if domestic else "international"]
    first, additional = Decimal(rates[0]), Decimal(rates[1])
    known = [i.shipping for i in items if i.shipping is not None]
    base = max(known) if known else first
    return (base + additional * max(0, len(items) - 1)).quantize(CENT)


def label_for(score: float) -> str:
    return next(name for floor, name in LABELS if score >= floor)


def score_deal(deal: Deal, *, preferred: str, cheapest: dict[str, Decimal], weights: dict[str, float] | None = None) -> Deal:
    """Fills score, label, types, subtotal, shipping and total of one seller's deal."""
    weights = weights or settings.DIGGER_SCORE_WEIGHTS
    wanted = deal.wanted_count
    subscores = {
        "price": price_score(deal.items),
        "reputation": reputation_score(deal.seller_rating, deal.seller_ratings_count),
        "inventory": inventory_score(wanted, len(deal.items)),
        "location": location_score(deal.seller_country, preferred),
    }
    total_weight = sum(weights.get(k, 0.0) for k in subscores) or 1.0
    deal.subscores = {k: round(v, 3) for k, v in subscores.items()}
    deal.score = round(100 * sum(weights.get(k, 0.0) * v for k, v in subscores.items()) / total_weight, 1)
    deal.label = label_for(deal.score)
    types = []
    if len(deal.items) >= 2:
        types.append("multi_item")
    if any(i.key and cheapest.get(i.key) == i.price for i in deal.items):
        types.append("best_price")
    if (deal.seller_rating or 0) >= Decimal("99.5") and (deal.seller_ratings_count or 0) >= 500:
        types.append("high_feedback")
    if preferred not in ("", "any") and region_of(deal.seller_country) == preferred:
        types.append("location")
    deal.types = types
    deal.subtotal = sum((i.price for i in deal.items), Decimal("0")).quantize(CENT)
    domestic = preferred not in ("", "any") and region_of(deal.seller_country) == preferred
    deal.shipping = estimate_shipping(deal.items, domestic=domestic)
    deal.total = (deal.subtotal + deal.shipping).quantize(CENT)
    return deal


def build_deals(rows: Iterable[dict], *, preferred: str = "any", weights: dict[str, float] | None = None) -> list[Deal]:
    """Groups listing rows (dicts with the Listing fields) by (platform, seller, currency) and scores each."""
    groups: dict[tuple[str, str, str], Deal] = {}
    cheapest: dict[str, Decimal] = {}
    # One marketplace listing found by two saved searches is stored once per search: it is still one
    # record to buy, so it counts once in every bundle and total (keyed on the platform's own id).
    seen: set[tuple[str, str]] = set()
    for row in rows:
        seller = row.get("seller") or ""
        if not seller:
            continue
        identity = (row["platform"], str(row.get("external_id") or f"pk:{row['id']}"))
        if identity in seen:
            continue
        seen.add(identity)
        key = f"r{row['release_id']}" if row.get("release_id") else f"t{(row.get('artist') or '').lower()}|{row['title'].lower()}"
        item = DealItem(listing_id=row["id"], title=row["title"], artist=row.get("artist") or "", price=row["price"],
                        currency=row["currency"], shipping=row.get("shipping"), market_price=row.get("market_price"),
                        in_wantlist=bool(row.get("in_wantlist")), in_collection=bool(row.get("in_collection")),
                        release_id=row.get("release_id"), media_condition=row.get("media_condition") or "",
                        url=row.get("url") or "", key=f"{row['currency']}:{key}")
        if item.key not in cheapest or item.price < cheapest[item.key]:
            cheapest[item.key] = item.price
        group_key = (row["platform"], seller, row["currency"])
        deal = groups.get(group_key)
        if deal is None:
            deal = groups[group_key] = Deal(platform=row["platform"], seller=seller, currency=row["currency"], items=[],
                                            seller_rating=row.get("seller_rating"),
                                            seller_ratings_count=row.get("seller_ratings_count"),
                                            seller_country=row.get("seller_country") or "")
        deal.items.append(item)
    deals = [score_deal(d, preferred=preferred, cheapest=cheapest, weights=weights) for d in groups.values()]
    for deal in deals:
        deal.items.sort(key=lambda i: (not i.in_wantlist, i.price))
    deals.sort(key=lambda d: (-d.score, d.total, d.seller))
    return deals
