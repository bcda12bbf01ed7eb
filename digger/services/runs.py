"""Running a saved search: fetch from Discogs and eBay, match, store, report and notify."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.locks import exclusive
from common.realtime import publish_progress
from common.services import search_log_record
from common.types import AuthUser
from integrations.discogs.client import DiscogsClient
from integrations.discogs.errors import ScrapingDisabled, TokenRejected
from integrations.discogs.types import condition_rank
from integrations.ebay.client import EbayClient
from integrations.ebay.errors import BudgetExhausted, CredentialsRejected
from integrations.errors import NotConfigured, NotFound, PermanentError, TransientError

from ..matching import Matcher, Owned
from ..models import (
    CollectionItem,
    DiggerProfile,
    Listing,
    Location,
    Platform,
    PriceHistory,
    ReleasePrice,
    SavedSearch,
    SearchRun,
)
from .cart import cart_refresh_after_run
from .credentials import discogs_client_for, ebay_client_for, profile_get_or_create
from .notifications import digest_send, notification_create
from .searches import search_run_request

EBAY_CONDITIONS = [("1000", "M"), ("1500", "NM"), ("2750", "NM"), ("4000", "VG+"), ("3000", "VG"), ("5000", "VG"),
                   ("6000", "G")]
EBAY_CONDITION_CODES = dict(EBAY_CONDITIONS)
EBAY_LOCATION = {"US": {"location_country": "US"}, "UK": {"location_country": "GB"},
                 "EU": {"location_region": "EUROPEAN_UNION"}}



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
        from ..scoring import region_of

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
    location = EBAY_LOCATION.get(search.seller_location, {})
    page = client.search(query=query, conditions=conditions, price_min=search.price_min, price_max=search.price_max,
                         currency=search.currency if (search.price_min is not None or search.price_max is not None) else "",
                         buying_options=["FIXED_PRICE", "BEST_OFFER"], sort="price",
                         limit=settings.DIGGER_MAX_LISTINGS_PER_PLATFORM,
                         location_country=location.get("location_country", ""),
                         location_region=location.get("location_region", ""))
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


def matcher_for_user(user: AuthUser) -> Matcher:
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
    owned_clients: list[DiscogsClient | EbayClient] = []
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
                    ebay_client = ebay
                    if ebay_client is None:
                        ebay_client = ebay_client_for(profile)
                        owned_clients.append(ebay_client)
                    fetched[platform], notes[platform] = _fetch_ebay(search, ebay_client, progress)
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
        # Looked up on the package at call time: the fault drills patch digger.services._store_platform
        # to kill the worker mid-store, and the split into modules must not hide that seam.
        from digger import services as package

        with transaction.atomic():
            for platform, items in fetched.items():
                counts = package._store_platform(run=run, platform=platform, items=items, matcher=matcher, prices=prices,
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
        for owned in owned_clients:
            owned.close()


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
        notice = notification_create(user=user, kind="match", search=run.search,
                                     message=f"{n} new want-list match{'es' if n != 1 else ''} for “{run.search.name}”",
                                     url=f"/digger/searches/{run.search_id}/?wanted=1")
        # The digest links each of these listings, so they are kept on the notice.
        notice.listings.set(Listing.objects.filter(search=run.search, first_run=run, in_wantlist=True)
                            .order_by("price")[:50])
        profile = DiggerProfile.objects.filter(user=user).first()
        if profile and profile.email_digest == DiggerProfile.Digest.PER_RUN:
            transaction.on_commit(lambda: digest_send(user=user))
    if status != SearchRun.Status.FAILED and (run.new or run.changed):
        # Only users who turned an alert on get the task (one cheap query instead of a task per run).
        if CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT, alert_active=True).exists():
            from ..tasks import check_alerts

            run_id = run.pk
            transaction.on_commit(lambda: check_alerts.delay(run_id))
        cart_refresh_after_run(user=user)
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
