"""API schemas for digger: explicit fields in and out."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Schema


class SavedSearchIn(Schema):
    name: str
    query: str = ""
    artist: str = ""
    title: str = ""
    barcode: str = ""
    catno: str = ""
    release_id: int | None = None
    platform: str = "both"
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str = "USD"
    min_media_condition: str = ""
    min_sleeve_condition: str = ""
    format: str = ""
    seller_location: str = "any"
    interval_hours: int = 24
    active: bool = True


class SavedSearchPatch(Schema):
    name: str | None = None
    query: str | None = None
    artist: str | None = None
    title: str | None = None
    barcode: str | None = None
    catno: str | None = None
    release_id: int | None = None
    platform: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str | None = None
    min_media_condition: str | None = None
    min_sleeve_condition: str | None = None
    format: str | None = None
    seller_location: str | None = None
    interval_hours: int | None = None
    active: bool | None = None


class SavedSearchOut(Schema):
    id: int
    name: str
    query: str
    artist: str
    title: str
    barcode: str
    catno: str
    release_id: int | None
    platform: str
    price_min: Decimal | None
    price_max: Decimal | None
    currency: str
    min_media_condition: str
    min_sleeve_condition: str
    format: str
    seller_location: str
    interval_hours: int
    active: bool
    last_run_at: datetime | None
    created_at: datetime


class RunOut(Schema):
    id: int
    search_id: int
    status: str
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    found: int
    new: int
    changed: int
    gone: int
    message: str
    errors: list[dict]
    report: dict


class ListingOut(Schema):
    id: int
    platform: str
    external_id: str
    status: str
    title: str
    artist: str
    release_id: int | None
    catno: str
    format: str
    media_condition: str
    sleeve_condition: str
    price: Decimal
    currency: str
    shipping: Decimal | None
    market_price: Decimal | None
    seller: str
    seller_rating: Decimal | None
    seller_ratings_count: int | None
    seller_country: str
    url: str
    in_collection: bool
    in_wantlist: bool
    match_method: str
    match_confidence: int
    first_seen_at: datetime
    last_seen_at: datetime


class DealItemOut(Schema):
    listing_id: int
    title: str
    artist: str
    price: Decimal
    currency: str
    shipping: Decimal | None
    market_price: Decimal | None
    in_wantlist: bool
    release_id: int | None
    media_condition: str
    url: str


class DealOut(Schema):
    platform: str
    seller: str
    currency: str
    score: float
    label: str
    types: list[str]
    subscores: dict[str, float]
    seller_rating: Decimal | None
    seller_ratings_count: int | None
    seller_country: str
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    summary: str
    items: list[DealItemOut]


class CollectionItemOut(Schema):
    release_id: int
    artist: str
    title: str
    year: int | None
    format: str
    label: str
    catno: str
    date_added: datetime | None


class SyncOut(Schema):
    job_id: int
    status: str
    progress_ws: str


class CredentialsIn(Schema):
    discogs_username: str | None = None
    discogs_token: str | None = None
    ebay_client_id: str | None = None
    ebay_client_secret: str | None = None
    email_digest: str | None = None
    preferred_location: str | None = None
    clear: list[str] = []


class DiscogsCredentialsOut(Schema):
    status: str
    username: str
    token: str
    check_ok: bool | None
    check_message: str


class EbayCredentialsOut(Schema):
    status: str
    client_id: str
    client_secret: str
    check_ok: bool | None
    check_message: str


class CredentialsOut(Schema):
    discogs: DiscogsCredentialsOut
    ebay: EbayCredentialsOut
    email_digest: str
    preferred_location: str


class TestOut(Schema):
    ok: bool
    detail: str
