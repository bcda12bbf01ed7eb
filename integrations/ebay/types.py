"""Typed eBay Browse objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Seller:
    username: str
    feedback_percentage: Decimal | None = None
    feedback_score: int | None = None


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    title: str
    price: Money | None
    seller: Seller
    condition: str = ""
    condition_id: str = ""
    shipping: Money | None = None
    buying_options: tuple[str, ...] = ()
    location_country: str = ""
    url: str = ""
    image_url: str = ""
    gtin: str = ""
    epid: str = ""
    legacy_item_id: str = ""


@dataclass(frozen=True)
class SearchPage:
    total: int
    limit: int
    offset: int
    items: list[ItemSummary]
    next: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next)


@dataclass(frozen=True)
class Item(ItemSummary):
    description: str = ""
    mpn: str = ""
    brand: str = ""
    aspects: dict[str, str] = field(default_factory=dict)
    quantity_available: int | None = None

    @property
    def catalog_number(self) -> str:
        for key in ("Catalog Number", "Catalogue Number", "Catalog #", "Cat. No."):
            if self.aspects.get(key):
                return self.aspects[key]
        return ""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: int
