"""Fair-price bands: quantiles (or quantile regression on long histories), steal/high tags, page, API, command."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digger import services
from digger.bands import MIN_COUNT, compute_bands
from digger.models import PriceBand, PriceHistory
from tests.digger.factories import ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db


def history(listing, prices: list[str], *, days_apart: float = 1.0) -> None:
    now = timezone.now()
    for index, price in enumerate(prices):
        PriceHistory.objects.create(listing=listing, price=Decimal(price), currency=listing.currency, shipping=Decimal("0"),
                                    recorded_at=now - timedelta(days=days_apart * (len(prices) - index)))


def test_compute_bands_gives_plain_quantiles_and_nothing_below_five_points():
    bands = compute_bands(release_ids=np.array([1] * 5 + [2] * 4), grades=["VG+"] * 9, currencies=["USD"] * 9,
                          prices=np.array([10, 20, 30, 40, 50, 1, 2, 3, 4], dtype=float), days=np.zeros(9), today=0.0)
    assert [(b.release_id, b.p25, b.p50, b.p75, b.count, b.method) for b in bands] == [
        (1, 20.0, 30.0, 40.0, 5, "quantiles")]


def test_compute_bands_uses_quantile_regression_on_a_long_rising_history():
    days = np.arange(0, 200, 2.0)  # 100 points over 200 days, price rising 10 -> 50
    prices = 10 + days * 0.2 + np.tile([-1.0, 0.0, 1.0, 0.5], 25)
    [band] = compute_bands(release_ids=np.ones(100, dtype=int), grades=["NM"] * 100, currencies=["EUR"] * 100,
                           prices=prices, days=days, today=float(days[-1]))
    assert band.method == "regression" and band.count == 100
    # today's level (about 50), not the whole history's median (about 30)
    assert 47 < band.p25 <= band.p50 <= band.p75 < 52
    assert abs(float(np.median(prices)) - band.p50) > 15


def test_price_bands_compute_stores_landed_bands_and_the_command_reports_them(owner):
    search = SavedSearchFactory(user=owner)
    listing = ListingFactory(search=search, release_id=42, media_condition="VG+", shipping=Decimal("5.00"))
    history(listing, ["10", "12", "14", "16", "18"])
    thin = ListingFactory(search=search, release_id=43, media_condition="VG+")
    history(thin, ["10", "12", "14", "16"])
    PriceHistory.objects.filter(listing=listing).update(shipping=Decimal("5.00"))
    out = io.StringIO()
    call_command("compute_price_bands", stdout=out)
    band = PriceBand.objects.get(release_id=42)
    assert (band.p25, band.p50, band.p75, band.count) == (Decimal("17.00"), Decimal("19.00"), Decimal("21.00"), 5)
    assert not PriceBand.objects.filter(release_id=43).exists()
    assert "1 bands from 9 prices" in out.getvalue() and "plain quantiles" in out.getvalue()


def test_deals_tag_a_listing_under_p25_as_steal_and_over_p75_as_high(owner, owner_client):
    search = SavedSearchFactory(user=owner)
    PriceBand.objects.create(release_id=7, media_condition="VG+", currency="USD", p25=Decimal("20"), p50=Decimal("25"),
                             p75=Decimal("30"), count=9, method="quantiles", computed_at=timezone.now())
    ListingFactory(search=search, release_id=7, media_condition="VG+", price=Decimal("12.00"), shipping=Decimal("5.00"),
                   seller="cheap", title="Cheap copy")
    ListingFactory(search=search, release_id=7, media_condition="VG+", price=Decimal("40.00"), shipping=Decimal("5.00"),
                   seller="dear", title="Dear copy")
    body = owner_client.get(reverse("digger:deals")).content.decode()
    assert 'badge--steal">steal' in body and 'badge--high">high' in body
    deals = Client().get("/api/v1/digger/deals", **_auth(owner)).json()["items"]
    assert {d["seller"]: d["items"][0]["tag"] for d in deals} == {"cheap": "steal", "dear": "high"}


def _auth(user):
    from tests.conftest import _bearer_for

    return _bearer_for(user)


def test_release_page_shows_bands_and_a_chart_per_grade(owner, owner_client):
    search = SavedSearchFactory(user=owner)
    listing = ListingFactory(search=search, release_id=42, media_condition="NM")
    history(listing, ["10", "12", "14", "16", "18"])
    services.price_bands_compute()
    body = owner_client.get(reverse("digger:release_detail", args=[42])).content.decode()
    assert "Fair prices" in body and "Plain quantiles" in body and "<td>5</td>" in body
    assert 'id="digger-price-series"' in body and '"NM"' in body and "uPlot-1.6.32.iife.min.js" in body


def test_price_bands_api_lists_bands_and_rejects_a_huge_id(owner_api):
    PriceBand.objects.create(release_id=9, media_condition="VG", currency="USD", p25=Decimal("5"), p50=Decimal("6"),
                             p75=Decimal("7"), count=MIN_COUNT, method="quantiles", computed_at=timezone.now())
    api = Client()
    body = api.get("/api/v1/digger/releases/9/price-bands", **owner_api).json()
    assert body == [{"release_id": 9, "media_condition": "VG", "currency": "USD", "p25": "5.00", "p50": "6.00",
                     "p75": "7.00", "count": 5, "method": "quantiles"}]
    assert api.get(f"/api/v1/digger/releases/{2**63}/price-bands", **owner_api).status_code == 422
    assert api.get("/api/v1/digger/releases/9/price-bands").status_code == 401
