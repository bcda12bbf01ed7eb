"""Writes for digger: credentials, saved searches and their runs, collection sync, notifications."""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common import crypto
from common.exceptions import Conflict, InvalidInput
from common.fields import UndecryptableSecret
from common.locks import exclusive
from common.models import Job
from common.realtime import publish_progress
from common.services import job_claim, job_finish, job_progress, job_start, search_log_record
from integrations.discogs.client import DiscogsClient
from integrations.discogs.errors import ScrapingDisabled, TokenRejected
from integrations.discogs.types import CONDITION_CODES, condition_rank
from integrations.ebay.client import EbayClient
from integrations.ebay.errors import BudgetExhausted, CredentialsRejected
from integrations.errors import IntegrationError, NotConfigured, NotFound, PermanentError, TransientError

from .matching import Matcher, Owned
from .models import (
    CollectionItem,
    DiggerProfile,
    Listing,
    Location,
    Notification,
    Platform,
    PriceHistory,
    ReleasePrice,
    SavedSearch,
    SearchRun,
)

log = logging.getLogger(__name__)
SECRET_FIELDS = ("discogs_token", "ebay_client_id", "ebay_client_secret")
EBAY_CONDITIONS = [("1000", "M"), ("1500", "NM"), ("2750", "NM"), ("4000", "VG+"), ("3000", "VG"), ("5000", "VG"),
                   ("6000", "G")]
EBAY_CONDITION_CODES = dict(EBAY_CONDITIONS)
EBAY_LOCATION = {"US": {"location_country": "US"}, "UK": {"location_country": "GB"},
                 "EU": {"location_region": "EUROPEAN_UNION"}}


# -- credentials ---------------------------------------------------------------------------------------
def profile_get_or_create(*, user) -> DiggerProfile:
    profile, _ = DiggerProfile.objects.get_or_create(user=user)
    return profile


def credentials_update(*, user, discogs_username: str | None = None, discogs_token: str | None = None,
                       ebay_client_id: str | None = None, ebay_client_secret: str | None = None,
                       email_digest: str | None = None, preferred_location: str | None = None,
                       clear: list[str] | None = None) -> DiggerProfile:
    """Sets the given credentials (None or blank keeps the stored value; `clear` names ones to remove)."""
    profile = profile_get_or_create(user=user)
    changed: list[str] = []
    if discogs_username is not None and discogs_username.strip() != profile.discogs_username:
        username = discogs_username.strip()
        if username and not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", username):
            raise InvalidInput("Discogs usernames contain only letters, digits, '.', '-' and '_'.", field="discogs_username")
        profile.discogs_username = username
        changed.append("discogs_username")
    for name, value in (("discogs_token", discogs_token), ("ebay_client_id", ebay_client_id),
                        ("ebay_client_secret", ebay_client_secret)):
        if value is not None and value.strip():
            if len(value.strip()) > 500:
                raise InvalidInput("That value is too long.", field=name)
            setattr(profile, name, value.strip())
            changed.append(name)
    for name in clear or []:
        if name in SECRET_FIELDS:
            setattr(profile, name, "")
            changed.append(name)
    if any(n.startswith("discogs") for n in changed):
        profile.discogs_checked_at, profile.discogs_check_ok, profile.discogs_check_message = None, None, ""
        changed += ["discogs_checked_at", "discogs_check_ok", "discogs_check_message"]
    if any(n.startswith("ebay") for n in changed):
        profile.ebay_checked_at, profile.ebay_check_ok, profile.ebay_check_message = None, None, ""
        changed += ["ebay_checked_at", "ebay_check_ok", "ebay_check_message"]
    if email_digest is not None:
        if email_digest not in DiggerProfile.Digest.values:
            raise InvalidInput("Choose off, per_run or daily.", field="email_digest")
        profile.email_digest = email_digest
        changed.append("email_digest")
    if preferred_location is not None:
        if preferred_location not in Location.values:
            raise InvalidInput("Choose any, US, EU or UK.", field="preferred_location")
        profile.preferred_location = preferred_location
        changed.append("preferred_location")
    if changed:
        # Undecryptable secrets read back as "" markers; only the fields changed here are written.
        profile.save(update_fields=[*set(changed), "updated_at"])
    return profile


def discogs_client_for(profile: DiggerProfile) -> DiscogsClient:
    """A client with the user's token; NotConfigured with a clear message when it is missing or unreadable."""
    if isinstance(profile.discogs_token, UndecryptableSecret):
        raise NotConfigured("Your Discogs token can no longer be decrypted: please re-enter it in Digger settings.",
                            service="discogs")
    if not profile.discogs_token:
        raise NotConfigured("Discogs is not configured: add your personal access token in Digger settings.",
                            service="discogs")
    return DiscogsClient(token=profile.discogs_token, username=profile.discogs_username)


def ebay_client_for(profile: DiggerProfile) -> EbayClient:
    if isinstance(profile.ebay_client_id, UndecryptableSecret) or isinstance(profile.ebay_client_secret, UndecryptableSecret):
        raise NotConfigured("Your eBay credentials can no longer be decrypted: please re-enter them in Digger settings.",
                            service="ebay")
    if not profile.ebay_client_id or not profile.ebay_client_secret:
        raise NotConfigured("eBay is not configured: add your application's client id and secret in Digger settings.",
                            service="ebay")
    return EbayClient(client_id=profile.ebay_client_id, client_secret=profile.ebay_client_secret)


def discogs_lookup(*, user, artist: str, title: str, limit: int = 5) -> dict[str, Any]:
    """Discogs masters and vinyl releases matching an artist and title, to pick a release id when a
    saved search starts from an album page ("Find on vinyl"). Never raises for upstream trouble:
    the form still works without the lookup, so the reason comes back as `error`."""
    artist, title = (artist or "").strip()[:200], (title or "").strip()[:200]
    result: dict[str, Any] = {"masters": [], "releases": [], "error": ""}
    if not (artist or title):
        return result
    try:
        client = discogs_client_for(profile_get_or_create(user=user))
        try:
            result["masters"] = client.search(type="master", artist=artist, release_title=title, per_page=limit).results[:limit]
            result["releases"] = client.search(type="release", artist=artist, release_title=title, format="Vinyl",
                                               per_page=limit).results[:limit]
        finally:
            client.close()
    except IntegrationError as exc:
        result["error"] = str(exc) if isinstance(exc, NotConfigured) else f"Discogs lookup unavailable right now ({exc})."
    return result


def credentials_test(*, user, service: str) -> tuple[bool, str]:
    """Calls the service with the stored credentials and records the outcome ("test connection")."""
    profile = profile_get_or_create(user=user)
    ok, message = False, ""
    try:
        if service == "discogs":
            client = discogs_client_for(profile)
            try:
                identity = client.identity()
            finally:
                client.close()
            ok = True
            message = f"Connected to Discogs as {identity.username}."
            if profile.discogs_username and identity.username.lower() != profile.discogs_username.lower():
                message += f" (The username you saved is {profile.discogs_username}.)"
        elif service == "ebay":
            client = ebay_client_for(profile)
            try:
                client.drop_token()
                client.token()
            finally:
                client.close()
            ok, message = True, "Connected to eBay: the application token was granted."
        else:
            raise InvalidInput("Unknown service.", field="service")
    except NotConfigured as exc:
        message = str(exc)
    except TokenRejected:
        message = "Discogs rejected the token. Check it and enter it again."
    except CredentialsRejected:
        message = "eBay rejected the client id or secret."
    except IntegrationError as exc:
        message = f"Could not reach {service}: {exc}"
    now = timezone.now()
    DiggerProfile.objects.filter(pk=profile.pk).update(**{
        f"{service}_checked_at": now, f"{service}_check_ok": ok, f"{service}_check_message": message[:300],
    })
    return ok, message


def credentials_rotate() -> dict[str, int]:
    """Re-encrypts every stored secret with the first FIELD_ENCRYPTION_KEYS key (common.crypto.rotate).

    Works on the raw ciphertext, so a value no key can decrypt is counted and left as it is
    (the user is asked to re-enter it) rather than being wiped.
    """
    table = DiggerProfile._meta.db_table
    rotated = undecryptable = 0
    columns = ", ".join(SECRET_FIELDS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {columns} FROM {table}")  # noqa: S608 - fixed identifiers
            rows = cursor.fetchall()
        for row in rows:
            pk, values = row[0], row[1:]
            updates = {}
            for name, value in zip(SECRET_FIELDS, values, strict=True):
                if not value:
                    continue
                try:
                    updates[name] = crypto.rotate(value)
                except crypto.DecryptionFailed:
                    undecryptable += 1
            if updates:
                sets = ", ".join(f"{name} = %s" for name in updates)
                with connection.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*updates.values(), pk])  # noqa: S608
                rotated += len(updates)
    return {"rotated": rotated, "undecryptable": undecryptable, "profiles": len(rows)}


# -- saved searches ----------------------------------------------------------------------------------------
SEARCH_FIELDS = ("name", "query", "artist", "title", "barcode", "catno", "release_id", "platform", "price_min",
                 "price_max", "currency", "min_media_condition", "min_sleeve_condition", "format", "seller_location",
                 "interval_hours", "active")


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput("Enter a number.", field=field) from exc
    if amount < 0 or amount >= Decimal("100000000"):
        raise InvalidInput("Enter an amount between 0 and 99,999,999.", field=field)
    return amount.quantize(Decimal("0.01"))


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
        interval = int(values.get("interval_hours") if values.get("interval_hours") not in (None, "") else 24)
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


def search_create(*, user, data: dict[str, Any]) -> SavedSearch:
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
    from .tasks import run_saved_search

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
    from .selectors import searches_due

    queued = 0
    for search in searches_due(now=now or timezone.now()):
        try:
            search_run_request(search=search, trigger=SearchRun.Trigger.SCHEDULED)
        except Conflict:
            continue
        queued += 1
    return queued


# -- running a search -----------------------------------------------------------------------------------------
@dataclass
class ListingData:
    """A listing from either platform, normalised for storage."""

    platform: str
    external_id: str
    title: str
    price: Decimal
    currency: str
    artist: str = ""
    release_id: int | None = None
    catno: str = ""
    barcode: str = ""
    format: str = ""
    media_condition: str = ""
    sleeve_condition: str = ""
    shipping: Decimal | None = None
    seller: str = ""
    seller_rating: Decimal | None = None
    seller_ratings_count: int | None = None
    seller_country: str = ""
    url: str = ""
    image_url: str = ""


class RunTimeLimit(Exception):
    """The run used up DIGGER_RUN_SOFT_TIME_LIMIT."""


class _Progress:
    def __init__(self, run: SearchRun, deadline: float) -> None:
        self.run = run
        self.deadline = deadline

    def step(self, message: str, *, advance: int = 1) -> None:
        if time.monotonic() > self.deadline:
            raise RunTimeLimit("Time limit reached")
        run = self.run
        run.done = min(run.total, run.done + advance)
        run.message = message[:500]
        SearchRun.objects.filter(pk=run.pk).update(done=run.done, total=run.total, message=run.message,
                                                   updated_at=timezone.now())
        publish_run_progress(run)


def publish_run_progress(run: SearchRun) -> None:
    """Pushes the run's bar to the search page (group diggersearch.<search id>)."""
    publish_progress(groups=[f"diggersearch.{run.search_id}"], dom_id=f"diggersearch-{run.search_id}",
                     done=run.done, total=max(run.total, 1), label=f"Run of “{run.search.name}”",
                     status=run.status, message=run.message)


def _keep(search: SavedSearch, item: ListingData) -> bool:
    """Applies the search's filters that the platform could not apply itself."""
    if search.min_media_condition and item.media_condition:
        if condition_rank(item.media_condition) > condition_rank(search.min_media_condition):
            return False
    if search.min_sleeve_condition and item.sleeve_condition and item.platform == Platform.DISCOGS:
        if condition_rank(item.sleeve_condition) > condition_rank(search.min_sleeve_condition):
            return False
    if item.currency == search.currency:
        if search.price_min is not None and item.price < search.price_min:
            return False
        if search.price_max is not None and item.price > search.price_max:
            return False
    if search.format and item.platform == Platform.DISCOGS and item.format:
        if search.format.lower() not in item.format.lower() and not (
                search.format.lower() == "vinyl" and re.search(r"\b(LP|12\"|10\"|7\")", item.format)):
            return False
    if search.seller_location != Location.ANY and item.seller_country:
        from .scoring import region_of

        if region_of(item.seller_country) != search.seller_location:
            return False
    return True


def _fetch_discogs(search: SavedSearch, client: DiscogsClient, progress: _Progress) -> tuple[list[ListingData], dict]:
    """Listings from the marketplace pages (or, with scraping off, the lowest price per release from stats)."""
    limit = settings.DIGGER_MAX_LISTINGS_PER_PLATFORM
    notes: dict[str, Any] = {}
    try:
        if search.release_id:
            raw = client.marketplace_listings(release_id=search.release_id, currency=search.currency, limit=limit)
        else:
            query = search.query_text
            if search.catno and search.catno not in query:
                query = f"{query} {search.catno}"
            raw = client.marketplace_listings(query=query, format=search.format or "Vinyl", currency=search.currency,
                                              limit=limit)
        items = [ListingData(
            platform=Platform.DISCOGS, external_id=m.listing_id, title=m.title, artist=m.artist, release_id=m.release_id,
            catno=m.catno, format=m.format, media_condition=m.media_condition, sleeve_condition=m.sleeve_condition,
            price=m.price, currency=m.currency, shipping=m.shipping, seller=m.seller, seller_rating=m.seller_rating,
            seller_ratings_count=m.seller_ratings_count, seller_country=m.ships_from, url=m.url, image_url=m.thumb,
        ) for m in raw]
        progress.step(f"Discogs: {len(items)} listings")
    except ScrapingDisabled:
        notes["scraping"] = "off: lowest prices from marketplace stats"
        items = []
        if search.release_id:
            release_ids = [search.release_id]
            titles = {}
        else:
            page = client.search(query=search.query or "", artist=search.artist, release_title=search.title,
                                 catno=search.catno, barcode=search.barcode, format=search.format or "Vinyl",
                                 per_page=settings.DIGGER_PRICE_LOOKUPS_PER_RUN)
            release_ids = [r.id for r in page.results if r.type == "release"][: settings.DIGGER_PRICE_LOOKUPS_PER_RUN]
            titles = {r.id: r for r in page.results}
        progress.step("Discogs: searched the database")
        for rid in release_ids:
            try:
                stats = client.marketplace_stats(rid, currency=search.currency)
            except NotFound:
                continue
            if stats.lowest_price is None:
                continue
            result = titles.get(rid)
            items.append(ListingData(
                platform=Platform.DISCOGS, external_id=f"release-{rid}", release_id=rid,
                title=result.release_title if result else f"Release {rid}", artist=result.artist if result else "",
                catno=result.catno if result else "", price=stats.lowest_price,
                currency=stats.currency or search.currency, url=f"{client.web_url}/sell/release/{rid}",
            ))
    kept = [i for i in items if _keep(search, i)]
    notes["filtered_out"] = len(items) - len(kept)
    return kept, notes


def _fetch_ebay(search: SavedSearch, client: EbayClient, progress: _Progress) -> tuple[list[ListingData], dict]:
    if client.budget.remaining() < 1:
        raise BudgetExhausted(f"eBay daily call budget reached ({client.budget.budget} calls today); run stopped",
                              used=client.budget.used(), budget=client.budget.budget)
    conditions = None
    if search.min_media_condition:
        floor = condition_rank(search.min_media_condition)
        conditions = [cid for cid, code in EBAY_CONDITIONS if condition_rank(code) <= floor]
    query = search.query_text
    if search.catno and search.catno not in query:
        query = f"{query} {search.catno}".strip()
    page = client.search(query=query, conditions=conditions, price_min=search.price_min, price_max=search.price_max,
                         currency=search.currency if (search.price_min is not None or search.price_max is not None) else "",
                         buying_options=["FIXED_PRICE", "BEST_OFFER"], sort="price",
                         limit=settings.DIGGER_MAX_LISTINGS_PER_PLATFORM,
                         **EBAY_LOCATION.get(search.seller_location, {}))
    items = []
    for s in page.items:
        if s.price is None:
            continue
        items.append(ListingData(
            platform=Platform.EBAY, external_id=s.item_id, title=s.title, price=s.price.value, currency=s.price.currency,
            barcode=s.gtin, media_condition=EBAY_CONDITION_CODES.get(s.condition_id, ""),
            shipping=s.shipping.value if s.shipping else None, seller=s.seller.username,
            seller_rating=s.seller.feedback_percentage, seller_ratings_count=s.seller.feedback_score,
            seller_country=s.location_country, url=s.url, image_url=s.image_url,
        ))
    progress.step(f"eBay: {len(items)} listings")
    kept = [i for i in items if _keep(search, i)]
    return kept, {"total": page.total, "filtered_out": len(items) - len(kept), "budget_remaining": client.budget.remaining()}


def _refresh_market_prices(client: DiscogsClient, release_ids: list[int], progress: _Progress, *,
                           currency: str = "") -> int:
    """Price suggestions (else marketplace stats) for releases without a fresh (24 h) ReleasePrice;
    at most DIGGER_PRICE_LOOKUPS_PER_RUN releases a run."""
    fresh = set(ReleasePrice.objects.filter(release_id__in=release_ids,
                                            fetched_at__gte=timezone.now() - timedelta(hours=24))
                .values_list("release_id", flat=True))
    todo = [rid for rid in dict.fromkeys(release_ids) if rid not in fresh][: settings.DIGGER_PRICE_LOOKUPS_PER_RUN]
    fetched = 0
    cutoff = timezone.now() - timedelta(hours=24)
    for rid in todo:
        # Concurrent runs finding the same release: one worker looks it up, the others skip it.
        with exclusive(f"digger:price:{rid}", ttl=120) as mine:
            if not mine or ReleasePrice.objects.filter(release_id=rid, fetched_at__gte=cutoff).exists():
                continue
            suggestions = stats = None
            try:
                suggestions = client.price_suggestions(rid)
                if not suggestions.by_condition:  # none yet: the lowest listed price is the market view
                    stats = client.marketplace_stats(rid, currency=currency)
            except (NotFound, PermanentError) as exc:
                if isinstance(exc, TokenRejected):
                    raise
            ReleasePrice.objects.update_or_create(release_id=rid, defaults={
                "currency": (suggestions.currency if suggestions and suggestions.currency else
                             stats.currency if stats else ""),
                "suggestions": {k: str(v) for k, v in suggestions.by_condition.items()} if suggestions else {},
                "lowest_price": stats.lowest_price if stats else None,
                "num_for_sale": stats.num_for_sale if stats else None,
                "fetched_at": timezone.now(),
            })
        fetched += 1
        progress.step(f"Market price for release {rid}", advance=0)
    return fetched


def matcher_for_user(user) -> Matcher:
    items = CollectionItem.objects.filter(user=user).values_list("release_id", "kind", "artist", "title", "catno")
    return Matcher((Owned(release_id=r, kind=k, artist=a, title=t, catno=c) for r, k, a, t, c in items),
                   threshold=settings.DIGGER_FUZZY_THRESHOLD)


def _market_price(prices: dict[int, ReleasePrice], release_id: int | None, condition: str, currency: str) -> Decimal | None:
    entry = prices.get(release_id) if release_id else None
    if entry is None:
        return None
    if entry.currency and entry.currency != currency:
        return None
    return entry.suggestion(condition or "VG+") or entry.lowest_price


LISTING_UPDATE_FIELDS = [
    "title", "artist", "release_id", "catno", "barcode", "format", "media_condition", "sleeve_condition", "price",
    "currency", "shipping", "seller", "seller_rating", "seller_ratings_count", "seller_country", "url", "image_url",
    "in_collection", "in_wantlist", "match_method", "match_confidence", "market_price", "status", "gone_at",
    "last_seen_at", "last_run",
]


def _safe_url(url: str) -> str:
    """Only http(s) links from upstream data end up in an href."""
    return url if (url or "").startswith(("https://", "http://")) and len(url) <= 2000 else ""


def _store_platform(*, run: SearchRun, platform: str, items: list[ListingData], matcher: Matcher,
                    prices: dict[int, ReleasePrice], now) -> dict[str, int]:
    """Upserts one platform's listings on (search, platform, external_id); unseen active ones become gone."""
    search = run.search
    counts = {"found": 0, "new": 0, "changed": 0, "gone": 0, "new_wanted": 0}
    existing = {row.external_id: row for row in Listing.objects.select_for_update().filter(search=search, platform=platform)}
    unique: dict[str, ListingData] = {}
    for item in items:
        unique.setdefault(item.external_id, item)
    to_create, to_update, history = [], [], []
    for item in unique.values():
        match = matcher.match(release_id=item.release_id, catno=item.catno, barcode=item.barcode, artist=item.artist,
                              title=item.title)
        release_id = item.release_id or match.release_id
        fields = {
            "title": item.title[:300], "artist": item.artist[:200], "release_id": release_id, "catno": item.catno[:60],
            "barcode": item.barcode[:40], "format": item.format[:120], "media_condition": item.media_condition[:3],
            "sleeve_condition": item.sleeve_condition[:12], "price": item.price, "currency": item.currency[:3],
            "shipping": item.shipping, "seller": item.seller[:120], "seller_rating": item.seller_rating,
            "seller_ratings_count": item.seller_ratings_count, "seller_country": item.seller_country[:60],
            "url": _safe_url(item.url), "image_url": _safe_url(item.image_url), "in_collection": match.in_collection,
            "in_wantlist": match.in_wantlist, "match_method": match.method, "match_confidence": match.confidence,
            "market_price": _market_price(prices, release_id, item.media_condition, item.currency),
        }
        counts["found"] += 1
        listing = existing.get(item.external_id)
        if listing is None:
            listing = Listing(search=search, platform=platform, external_id=item.external_id, status=Listing.Status.ACTIVE,
                              first_seen_at=now, last_seen_at=now, first_run=run, last_run=run, **fields)
            to_create.append(listing)
            counts["new"] += 1
            counts["new_wanted"] += int(match.in_wantlist)
            continue
        price_changed = listing.price != item.price or listing.shipping != item.shipping or listing.currency != item.currency
        reappeared = listing.status == Listing.Status.GONE
        for name, value in fields.items():
            setattr(listing, name, value)
        listing.status, listing.gone_at, listing.last_seen_at, listing.last_run = Listing.Status.ACTIVE, None, now, run
        to_update.append(listing)
        if price_changed or reappeared:
            counts["changed"] += 1
        if price_changed:
            history.append(PriceHistory(listing=listing, price=item.price, currency=item.currency,
                                        shipping=item.shipping, recorded_at=now))
    for listing in existing.values():
        if listing.external_id not in unique and listing.status == Listing.Status.ACTIVE:
            listing.status, listing.gone_at = Listing.Status.GONE, now
            to_update.append(listing)
            counts["gone"] += 1
    Listing.objects.bulk_create(to_create, batch_size=500)
    history += [PriceHistory(listing=listing, price=listing.price, currency=listing.currency,
                             shipping=listing.shipping, recorded_at=now)
                for listing in to_create]
    if to_update:
        Listing.objects.bulk_update(to_update, LISTING_UPDATE_FIELDS, batch_size=500)
    PriceHistory.objects.bulk_create(history, batch_size=500)
    return counts


def search_run_execute(*, run_id: int, discogs: DiscogsClient | None = None, ebay: EbayClient | None = None) -> SearchRun:
    """Runs one claimed search: fetch every platform (network), then store everything in one transaction.

    Permanent errors (no credentials, a rejected token, the eBay budget) are recorded per platform;
    transient ones propagate so the task retries the whole run, which is safe: nothing was written.
    """
    now = timezone.now()
    claimed = SearchRun.objects.filter(pk=run_id, status=SearchRun.Status.PENDING).update(
        status=SearchRun.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, updated_at=now)
    run = SearchRun.objects.select_related("search", "search__user").get(pk=run_id)
    if not claimed:
        return run
    search = run.search
    profile = profile_get_or_create(user=search.user)
    search_log_record(section="digger", query=search.query_text, user=search.user)
    run.total = len(search.platforms) * 2 + 1
    progress = _Progress(run, time.monotonic() + settings.DIGGER_RUN_SOFT_TIME_LIMIT)
    fetched: dict[str, list[ListingData]] = {}
    errors: list[dict[str, str]] = []
    notes: dict[str, Any] = {}
    owned_clients = []
    unconfigured = 0  # platforms without credentials: reported on the run, not notified every time
    started = time.monotonic()
    try:
        progress.step("Starting")
        discogs_client = discogs
        for platform in search.platforms:
            try:
                if platform == Platform.DISCOGS:
                    if discogs_client is None:
                        discogs_client = discogs_client_for(profile)
                        owned_clients.append(discogs_client)
                    fetched[platform], notes[platform] = _fetch_discogs(search, discogs_client, progress)
                else:
                    client = ebay
                    if client is None:
                        client = ebay_client_for(profile)
                        owned_clients.append(client)
                    fetched[platform], notes[platform] = _fetch_ebay(search, client, progress)
            except TokenRejected:
                errors.append({"platform": platform, "error": "Discogs rejected the token"})
            except CredentialsRejected:
                errors.append({"platform": platform, "error": "eBay rejected the application credentials"})
            except NotConfigured as exc:
                errors.append({"platform": platform, "error": str(exc)})
                unconfigured += 1
            except (BudgetExhausted, PermanentError) as exc:
                errors.append({"platform": platform, "error": str(exc)})
        release_ids = [i.release_id for i in fetched.get(Platform.DISCOGS, []) if i.release_id]
        if release_ids and discogs_client is not None:
            try:
                notes["price_lookups"] = _refresh_market_prices(discogs_client, release_ids, progress,
                                                                currency=search.currency)
            except TokenRejected:
                # A rejected token fails the Discogs part of the run: keep nothing half-checked from it.
                fetched.pop(Platform.DISCOGS, None)
                errors.append({"platform": Platform.DISCOGS, "error": "Discogs rejected the token"})
        progress.step("Matching and storing")
        matcher = matcher_for_user(search.user)
        all_release_ids = set(release_ids) | set(matcher.by_release)
        prices = {p.release_id: p for p in ReleasePrice.objects.filter(release_id__in=all_release_ids)}
        totals = {"found": 0, "new": 0, "changed": 0, "gone": 0, "new_wanted": 0}
        with transaction.atomic():
            for platform, items in fetched.items():
                counts = _store_platform(run=run, platform=platform, items=items, matcher=matcher, prices=prices,
                                         now=timezone.now())
                notes.setdefault(platform, {}).update(counts)
                for key in totals:
                    totals[key] += counts[key]
        status = SearchRun.Status.SUCCEEDED if not errors else (
            SearchRun.Status.PARTIAL if fetched else SearchRun.Status.FAILED)
        return _finish_run(run, status=status, totals=totals, errors=errors, notes=notes, started=started,
                           notify=unconfigured < len(errors))
    except TransientError:
        # Back to pending so the retried task can claim it again; nothing was stored.
        SearchRun.objects.filter(pk=run.pk).update(status=SearchRun.Status.PENDING, message="Waiting to retry",
                                                   updated_at=timezone.now())
        raise
    except (RunTimeLimit, SoftTimeLimitExceeded):
        errors.append({"platform": "", "error": "Time limit reached: the run was stopped"})
        return _finish_run(run, status=SearchRun.Status.FAILED, totals={}, errors=errors, notes=notes, started=started)
    finally:
        for client in owned_clients:
            client.close()


def search_run_fail(*, run_id: int, message: str) -> SearchRun:
    """Marks a run failed for good (its retries are spent)."""
    run = SearchRun.objects.select_related("search", "search__user").get(pk=run_id)
    if run.status in (SearchRun.Status.SUCCEEDED, SearchRun.Status.PARTIAL, SearchRun.Status.FAILED):
        return run
    return _finish_run(run, status=SearchRun.Status.FAILED, totals={}, errors=[{"platform": "", "error": message}],
                       notes={}, started=None)


def _finish_run(run: SearchRun, *, status: str, totals: dict, errors: list, notes: dict, started: float | None,
                notify: bool = True) -> SearchRun:
    now = timezone.now()
    run.status = status
    run.finished_at = now
    run.found, run.new = totals.get("found", 0), totals.get("new", 0)
    run.changed, run.gone = totals.get("changed", 0), totals.get("gone", 0)
    run.errors = errors
    duration = round(time.monotonic() - started, 3) if started is not None else None
    run.report = {"found": run.found, "new": run.new, "changed": run.changed, "gone": run.gone,
                  "new_wanted": totals.get("new_wanted", 0), "duration_s": duration, "errors": errors,
                  "platforms": notes}
    run.done = run.total = max(run.total, 1)
    run.message = "; ".join(e["error"] for e in errors)[:500] if errors else (
        f"{run.found} listings: {run.new} new, {run.changed} changed, {run.gone} gone")
    run.save()
    SavedSearch.objects.filter(pk=run.search_id).update(last_run_at=now)
    publish_run_progress(run)
    user = run.search.user
    if any("rejected" in e["error"] for e in errors):
        notification_create(user=user, kind="error", message=f"“{run.search.name}”: " + "; ".join(
            e["error"] for e in errors if "rejected" in e["error"]), url="/digger/settings/")
    elif status == SearchRun.Status.FAILED and notify:
        notification_create(user=user, kind="error", message=f"“{run.search.name}” failed: {run.message}",
                            url=f"/digger/searches/{run.search_id}/")
    if totals.get("new_wanted"):
        n = totals["new_wanted"]
        notification_create(user=user, kind="match",
                            message=f"{n} new want-list match{'es' if n != 1 else ''} for “{run.search.name}”",
                            url=f"/digger/searches/{run.search_id}/?wanted=1")
        profile = DiggerProfile.objects.filter(user=user).first()
        if profile and profile.email_digest == DiggerProfile.Digest.PER_RUN:
            transaction.on_commit(lambda: digest_send(user=user))
    return run


def search_run_now(*, search: SavedSearch, trigger: str = SearchRun.Trigger.COMMAND) -> SearchRun:
    """Runs a search synchronously in this process (manage.py run_search)."""
    run = search_run_request(search=search, trigger=trigger, enqueue=False)
    try:
        return search_run_execute(run_id=run.pk)
    except TransientError as exc:
        return search_run_fail(run_id=run.pk, message=f"Temporary failure: {exc}")


def run_report_text(run: SearchRun) -> str:
    """The run report as printed by manage.py run_search."""
    lines = [
        f"Run {run.pk} of saved search {run.search_id} “{run.search.name}”: {run.status}",
        f"  found {run.found}, new {run.new}, changed {run.changed}, gone {run.gone}",
        f"  duration {run.report.get('duration_s')} s",
    ]
    for platform, info in (run.report.get("platforms") or {}).items():
        lines.append(f"  {platform}: {info}")
    for error in run.errors:
        lines.append(f"  error [{error.get('platform') or 'run'}]: {error.get('error')}")
    return "\n".join(lines)


# -- collection and want list --------------------------------------------------------------------------------------
def collection_sync_request(*, user) -> Job:
    """Queues a collection + want list sync (one at a time per user)."""
    active = Job.objects.filter(user=user, kind="digger.sync", status__in=[Job.Status.PENDING, Job.Status.RUNNING]).first()
    if active is not None:
        return active
    from .tasks import sync_collection

    return job_start(user=user, kind="digger.sync", label="Discogs collection and want list", task=sync_collection)


def _parse_added(value: str):
    parsed = parse_datetime(value) if value else None
    return parsed


def collection_sync_run(*, job_id: int, full: bool = False) -> Job:
    """Syncs the user's Discogs collection and want list, newest first, stopping at known items.

    With full=True every page is read and items no longer on Discogs are removed. Each page is
    upserted on (user, kind, release_id), so a repeated or interrupted sync never duplicates.
    """
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.status == Job.Status.PENDING and not job_claim(job_id=job_id):
        return job
    job.status = Job.Status.RUNNING
    user = job.user
    profile = profile_get_or_create(user=user)
    counts = {"collection": 0, "want": 0, "removed": 0}
    try:
        if not profile.discogs_username:
            raise NotConfigured("Add your Discogs username in Digger settings to sync your collection.", service="discogs")
        client = discogs_client_for(profile)
        try:
            done = 0
            for kind, source in ((CollectionItem.Kind.COLLECTION, "collection"), (CollectionItem.Kind.WANT, "wants")):
                known = set(CollectionItem.objects.filter(user=user, kind=kind).values_list("release_id", flat=True))
                seen: set[int] = set()
                complete = True
                for page in client.iter_pages(source, profile.discogs_username):
                    if page.pagination.page == 1:
                        job.total = (job.total or 0) + page.pagination.pages
                    new_here = [i for i in page.items if i.release_id not in known]
                    with transaction.atomic():
                        for item in page.items:
                            CollectionItem.objects.update_or_create(user=user, kind=kind, release_id=item.release_id, defaults={
                                "artist": item.artist[:300], "title": item.title[:300] or f"Release {item.release_id}",
                                "year": item.year, "format": "; ".join(item.formats)[:200],
                                "label": ", ".join(item.labels)[:200], "catno": ", ".join(item.catnos)[:120],
                                "thumb": item.thumb[:600] if item.thumb.startswith("http") else "",
                                "date_added": _parse_added(item.date_added),
                            })
                    seen.update(i.release_id for i in page.items)
                    counts[kind] += len(new_here)
                    done += 1
                    job_progress(job=job, done=done, total=max(job.total, done),
                                 message=f"{kind}: page {page.pagination.page} of {page.pagination.pages}")
                    if not full and page.items and not new_here:
                        complete = False  # everything older is already known
                        break
                if full and complete:
                    removed, _ = CollectionItem.objects.filter(user=user, kind=kind).exclude(release_id__in=seen).delete()
                    counts["removed"] += removed
        finally:
            client.close()
        listings_rematch(user=user)
        DiggerProfile.objects.filter(pk=profile.pk).update(collection_synced_at=timezone.now())
        message = f"{counts['collection']} new in collection, {counts['want']} new wanted"
        return job_finish(job=job, message=message, result=counts)
    except TokenRejected:
        notification_create(user=user, kind="error", message="Collection sync: Discogs rejected the token",
                            url="/digger/settings/")
        return job_finish(job=job, status=Job.Status.FAILED, message="Discogs rejected the token")
    except (NotConfigured, PermanentError) as exc:
        return job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
    except TransientError:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING, message="Waiting to retry")
        raise


def listings_rematch(*, user) -> int:
    """Re-flags every listing of the user's searches against the current collection and want list."""
    matcher = matcher_for_user(user)
    listings = list(Listing.objects.filter(search__user=user))
    changed = []
    for listing in listings:
        source_release = listing.release_id if listing.platform == Platform.DISCOGS else None
        match = matcher.match(release_id=source_release, catno=listing.catno, barcode=listing.barcode,
                              artist=listing.artist, title=listing.title)
        new = (match.in_collection, match.in_wantlist, match.method, match.confidence)
        if new != (listing.in_collection, listing.in_wantlist, listing.match_method, listing.match_confidence):
            listing.in_collection, listing.in_wantlist, listing.match_method, listing.match_confidence = new
            if listing.platform == Platform.EBAY:
                listing.release_id = match.release_id
            changed.append(listing)
    Listing.objects.bulk_update(changed, ["in_collection", "in_wantlist", "match_method", "match_confidence",
                                          "release_id"], batch_size=500)
    return len(changed)


# -- notifications --------------------------------------------------------------------------------------------------
def notification_create(*, user, message: str, kind: str = "match", url: str = "") -> Notification:
    return Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300])


def notifications_mark_read(*, user, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def digest_send(*, user) -> int:
    """E-mails the user's not yet e-mailed notifications in one message; returns how many it held."""
    pending = list(Notification.objects.filter(user=user, emailed_at__isnull=True).order_by("created_at")[:100])
    if not pending or not user.email:
        return 0
    body = "\n".join(f"- {n.message}" for n in pending)
    send_mail(subject=f"Stylus Digger: {len(pending)} update{'s' if len(pending) != 1 else ''}",
              message=f"New on Stylus Digger:\n\n{body}\n", from_email=settings.DEFAULT_FROM_EMAIL,
              recipient_list=[user.email], fail_silently=False)
    now = timezone.now()
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    DiggerProfile.objects.filter(user=user).update(digest_sent_at=now)
    return len(pending)


def digests_send_daily() -> int:
    """Sends the daily digest to every user who chose it."""
    sent = 0
    for profile in DiggerProfile.objects.filter(email_digest=DiggerProfile.Digest.DAILY).select_related("user"):
        sent += int(digest_send(user=profile.user) > 0)
    return sent
