"""Computing and storing fair-price bands (digger/bands.py) from price history and Discogs suggestions."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..bands import compute_bands
from ..models import PriceBand, PriceHistory, ReleasePrice

CENT = Decimal("0.01")


def _day(moment: datetime) -> float:
    return moment.timestamp() / 86400.0


def price_bands_compute(*, release_ids: list[int] | None = None) -> dict[str, int]:
    """Recomputes the bands (all releases, or the given ones) and replaces the stored rows in one transaction.

    Points are landed prices: every price a listing had (with its shipping) and each Discogs price
    suggestion plus the domestic first-item shipping estimate (a suggestion is an item price).
    """
    history = PriceHistory.objects.filter(listing__release_id__isnull=False).exclude(listing__media_condition="")
    suggestions = ReleasePrice.objects.exclude(currency="")
    if release_ids is not None:
        history = history.filter(listing__release_id__in=release_ids)
        suggestions = suggestions.filter(release_id__in=release_ids)
    rows = list(history.values_list("listing__release_id", "listing__media_condition", "currency", "price", "shipping",
                                    "recorded_at").iterator(chunk_size=20_000))
    shipping_estimate = Decimal(settings.DIGGER_SHIPPING["domestic"][0])
    for entry in suggestions.only("release_id", "currency", "suggestions", "fetched_at"):
        for grade, value in (entry.suggestions or {}).items():
            rows.append((entry.release_id, grade, entry.currency, Decimal(str(value)), shipping_estimate, entry.fetched_at))
    now = timezone.now()
    bands = compute_bands(
        release_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
        grades=[r[1] for r in rows], currencies=[r[2] for r in rows],
        prices=np.fromiter((float(r[3] + (r[4] or 0)) for r in rows), dtype=float, count=len(rows)),
        days=np.fromiter((_day(r[5]) for r in rows), dtype=float, count=len(rows)), today=_day(now))
    objects = [PriceBand(release_id=b.release_id, media_condition=b.grade[:3], currency=b.currency[:3],
                         p25=Decimal(b.p25).quantize(CENT), p50=Decimal(b.p50).quantize(CENT),
                         p75=Decimal(b.p75).quantize(CENT), count=b.count, method=b.method, computed_at=now)
               for b in bands]
    with transaction.atomic():
        stale = PriceBand.objects.all() if release_ids is None else PriceBand.objects.filter(release_id__in=release_ids)
        removed = stale.delete()[0]
        PriceBand.objects.bulk_create(objects, batch_size=2000)
    return {"points": len(rows), "bands": len(objects), "removed": removed,
            "regression": sum(1 for b in bands if b.method == "regression")}
