"""Saved searches: validation shared by the form and the API, and queueing their runs."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.exceptions import Conflict, InvalidInput
from common.types import AuthUser
from integrations.discogs.types import CONDITION_CODES

from ..models import (
    Location,
    Platform,
    SavedSearch,
    SearchRun,
)

SEARCH_FIELDS = ("name", "query", "artist", "title", "barcode", "catno", "release_id", "platform", "price_min",
                 "price_max", "currency", "min_media_condition", "min_sleeve_condition", "format", "seller_location",
                 "interval_hours", "active")



AMOUNT_LIMIT, CENT = Decimal("100000000"), Decimal("0.01")


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput("Enter a number.", field=field) from exc
    # Checked before rounding (a huge exponent can't be quantized) and after: 99,999,999.999 rounds up to 10^8,
    # which the column (10 digits, 2 decimals) can't hold.
    if not amount.is_finite() or amount < 0 or amount >= AMOUNT_LIMIT or amount.quantize(CENT) >= AMOUNT_LIMIT:
        raise InvalidInput("Enter an amount between 0 and 99,999,999.99.", field=field)
    return amount.quantize(CENT)


def search_clean(data: dict[str, Any], *, instance: SavedSearch | None = None) -> dict[str, Any]:
    """Validates saved-search fields (shared by the form and the API); InvalidInput names the field."""
    values = {f: getattr(instance, f) for f in SEARCH_FIELDS} if instance else {}
    values.update({k: v for k, v in data.items() if k in SEARCH_FIELDS})
    for text in ("name", "query", "artist", "title", "barcode", "catno", "format"):
        values[text] = str(values.get(text) or "").strip()
    if not values["name"]:
        raise InvalidInput("Give the search a name.", field="name")
    if values.get("platform", Platform.BOTH) not in Platform.values:
        raise InvalidInput(f"Platform must be one of {', '.join(Platform.values)}.", field="platform")
    values.setdefault("platform", Platform.BOTH)
    release_id = values.get("release_id")
    if release_id in ("", None):
        values["release_id"] = None
    else:
        try:
            values["release_id"] = int(release_id)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("A Discogs release id is a number.", field="release_id") from exc
        if values["release_id"] < 1:
            raise InvalidInput("A Discogs release id is a positive number.", field="release_id")
    if not any(values.get(f) for f in ("query", "artist", "title", "barcode", "catno", "release_id")):
        raise InvalidInput("Enter a query: text, artist, title, barcode, catalogue number or Discogs release id.",
                           field="query")
    if values["barcode"] and not re.fullmatch(r"[0-9 ]{6,20}", values["barcode"]):
        raise InvalidInput("A barcode is 6 to 20 digits.", field="barcode")
    values["price_min"] = _decimal(values.get("price_min"), "price_min")
    values["price_max"] = _decimal(values.get("price_max"), "price_max")
    if values["price_min"] is not None and values["price_max"] is not None and values["price_min"] > values["price_max"]:
        raise InvalidInput("The minimum price is above the maximum price.", field="price_min")
    currency = str(values.get("currency") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidInput("Currency is a three-letter code such as USD, EUR or GBP.", field="currency")
    values["currency"] = currency
    for name in ("min_media_condition", "min_sleeve_condition"):
        value = values.get(name) or ""
        if value and value not in CONDITION_CODES:
            raise InvalidInput(f"Unknown condition: use one of {', '.join(CONDITION_CODES)}.", field=name)
        values[name] = value
    location = values.get("seller_location") or Location.ANY
    if location not in Location.values:
        raise InvalidInput("Seller location is US, EU, UK or any.", field="seller_location")
    values["seller_location"] = location
    try:
        raw_interval = values.get("interval_hours")
        interval = int(raw_interval if raw_interval not in (None, "") else 24)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("The interval is a whole number of hours.", field="interval_hours") from exc
    if interval < 1:
        raise InvalidInput("The interval is at least 1 hour.", field="interval_hours")
    if interval > 24 * 90:
        raise InvalidInput("The interval is at most 90 days.", field="interval_hours")
    values["interval_hours"] = interval
    values["active"] = bool(values.get("active", True))
    if len(values["name"]) > 120:
        raise InvalidInput("Keep the name under 120 characters.", field="name")
    return values


def search_create(*, user: AuthUser, data: dict[str, Any]) -> SavedSearch:
    """Creates a saved search for `user` from validated fields."""
    return SavedSearch.objects.create(user=user, **search_clean(data))


def search_update(*, search: SavedSearch, data: dict[str, Any]) -> SavedSearch:
    for name, value in search_clean(data, instance=search).items():
        setattr(search, name, value)
    search.save()
    return search


def search_delete(*, search: SavedSearch) -> None:
    search.delete()


def _enqueue_run(run_id: int) -> None:
    from ..tasks import run_saved_search

    transaction.on_commit(lambda: run_saved_search.delay(run_id))


def _expire_stale_runs(search: SavedSearch) -> None:
    """A run left pending/running past the hard time limit (a killed worker) no longer blocks new runs."""
    cutoff = timezone.now() - timedelta(seconds=settings.DIGGER_RUN_TIME_LIMIT + 120)
    SearchRun.objects.filter(search=search, status__in=SearchRun.ACTIVE, updated_at__lt=cutoff).update(
        status=SearchRun.Status.FAILED, finished_at=timezone.now(), message="Abandoned: the worker stopped responding.",
    )


def search_run_request(*, search: SavedSearch, trigger: str = SearchRun.Trigger.MANUAL, enqueue: bool = True) -> SearchRun:
    """Queues one run; Conflict if the search already has one pending or running (only one proceeds)."""
    _expire_stale_runs(search)
    try:
        with transaction.atomic():
            run = SearchRun.objects.create(search=search, trigger=trigger, message="Queued")
    except IntegrityError as exc:
        active = SearchRun.objects.filter(search=search, status__in=SearchRun.ACTIVE).first()
        raise Conflict(f"“{search.name}” is already running (run {active.pk if active else '?'}).") from exc
    if enqueue:
        _enqueue_run(run.pk)
    return run


def searches_queue_due(*, now=None) -> int:
    """Queues one run for each due search (never run, or last run older than its interval)."""
    from ..selectors import searches_due

    queued = 0
    for search in searches_due(now=now or timezone.now()):
        try:
            search_run_request(search=search, trigger=SearchRun.Trigger.SCHEDULED)
        except Conflict:
            continue
        queued += 1
    return queued
