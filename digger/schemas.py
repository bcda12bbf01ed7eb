"""API schemas for digger: explicit fields in and out."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import Field, field_validator

# The same limits as SavedSearch and SavedSearchForm: SQLite enforces no lengths, so the API must.
Name = Annotated[str, Field(min_length=1, max_length=120)]
Text200 = Annotated[str, Field(max_length=200)]
Barcode = Annotated[str, Field(max_length=40)]
Catno = Annotated[str, Field(max_length=60)]
ReleaseId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Amount = Annotated[Decimal, Field(ge=0, lt=Decimal("100000000"))]  # rounded to cents in search_clean, like the form
Code = Annotated[str, Field(max_length=8)]  # platform, condition and location codes: checked in search_clean
FormatText = Annotated[str, Field(max_length=20)]
Interval = Annotated[int, Field(ge=1, le=24 * 90)]


def _currency(value: str | None) -> str | None:
    # fullmatch: "^...$" with .match would accept a trailing newline.
    if value is not None and not re.fullmatch(r"[A-Za-z]{3}", value):
        raise ValueError("Currency is a three-letter code such as USD, EUR or GBP.")
    return value


class SavedSearchIn(Schema):
    name: Name
    query: Text200 = ""
    artist: Text200 = ""
    title: Text200 = ""
    barcode: Barcode = ""
    catno: Catno = ""
    release_id: ReleaseId | None = None
    platform: Code = "both"
    price_min: Amount | None = None
    price_max: Amount | None = None
    currency: str = "USD"
    min_media_condition: Code = ""
    min_sleeve_condition: Code = ""
    format: FormatText = ""
    seller_location: Code = "any"
    interval_hours: Interval = 24
    active: bool = True

    _check_currency = field_validator("currency")(_currency)


class SavedSearchPatch(Schema):
    name: Name | None = None
    query: Text200 | None = None
    artist: Text200 | None = None
    title: Text200 | None = None
    barcode: Barcode | None = None
    catno: Catno | None = None
    release_id: ReleaseId | None = None
    platform: Code | None = None
    price_min: Amount | None = None
    price_max: Amount | None = None
    currency: str | None = None
    min_media_condition: Code | None = None
    min_sleeve_condition: Code | None = None
    format: FormatText | None = None
    seller_location: Code | None = None
    interval_hours: Interval | None = None
    active: bool | None = None

    _check_currency = field_validator("currency")(_currency)


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
    tag: str = ""


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
    # The limits of DiggerProfile and CredentialsForm.
    discogs_username: Annotated[str, Field(max_length=100)] | None = None
    discogs_token: Annotated[str, Field(max_length=500)] | None = None
    ebay_client_id: Annotated[str, Field(max_length=500)] | None = None
    ebay_client_secret: Annotated[str, Field(max_length=500)] | None = None
    email_digest: Annotated[str, Field(max_length=10)] | None = None
    preferred_location: Annotated[str, Field(max_length=3)] | None = None
    clear: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=3)] = []


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


# -- cart, bands, alerts ------------------------------------------------------------------------------------------
Budget = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"))]
Grade = Annotated[str, Field(max_length=3)]  # checked against the Discogs scale in the service
Percent = Annotated[Decimal, Field(ge=0, le=100)]


class CartIn(Schema):
    budget: Budget | None = None
    max_sellers: Annotated[int, Field(ge=1, le=1000)] | None = None
    must_have: Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(max_length=1000)] = []


class CartOut(Schema):
    id: int
    status: str
    created_at: datetime
    currency: str
    landed_total: Decimal | None
    optimal: bool
    gap: float | None
    job_id: int | None
    progress_ws: str
    plan: dict


class PriceBandOut(Schema):
    release_id: int
    media_condition: str
    currency: str
    p25: Decimal
    p50: Decimal
    p75: Decimal
    count: int
    method: str


class WantAlertIn(Schema):
    max_price: Amount | None = None
    currency: str | None = None
    min_media_condition: Grade | None = None
    min_sleeve_condition: Grade | None = None
    min_seller_rating: Percent | None = None
    steal_only: bool | None = None
    must_have: bool | None = None
    alert_active: bool | None = None

    _check_currency = field_validator("currency")(_currency)


class WantAlertOut(Schema):
    release_id: int
    artist: str
    title: str
    max_price: Decimal | None
    min_media_condition: str
    min_sleeve_condition: str
    min_seller_rating: Decimal | None
    steal_only: bool
    must_have: bool
    alert_active: bool


class PushKeysIn(Schema):
    p256dh: Annotated[str, Field(max_length=200)]
    auth: Annotated[str, Field(max_length=100)]


class PushSubscriptionIn(Schema):
    """A browser's PushSubscription.toJSON() (expirationTime is ignored)."""

    endpoint: Annotated[str, Field(max_length=500)]
    keys: PushKeysIn


class AlertChannelIn(Schema):
    kind: Annotated[str, Field(max_length=8)]
    url: Annotated[str, Field(max_length=500)] = ""
    subscription: PushSubscriptionIn | None = None


class AlertChannelOut(Schema):
    id: int
    kind: str
    url: str
    failures: int
    paused_at: datetime | None
    notice: str
    created_at: datetime


class AlertChannelCreatedOut(AlertChannelOut):
    secret: str  # the HMAC key of X-Stylus-Signature; the same for all of a user's webhooks
