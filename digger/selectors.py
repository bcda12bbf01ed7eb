"""Reads for digger: the user's own searches, runs, listings, deals, collection and notifications."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from common.crypto import mask
from common.fields import UndecryptableSecret
from common.types import AnyUser, AuthUser

from .currency import convert
from .models import (
    Alert,
    AlertChannel,
    CartPlan,
    CollectionItem,
    DiggerProfile,
    Listing,
    Notification,
    PriceBand,
    PriceHistory,
    ReleasePrice,
    SavedSearch,
    SearchRun,
)
from .scoring import Deal, build_deals

RESULT_SORTS = {
    "price": ("price", "pk"), "-price": ("-price", "-pk"), "total": ("price", "shipping", "pk"),
    "title": ("title", "pk"), "seller": ("seller", "price"), "condition": ("media_condition", "price"),
    "new": ("-first_seen_at", "pk"), "match": ("-match_confidence", "price"),
}



def profile_for(*, user: AuthUser) -> DiggerProfile | None:
    return DiggerProfile.objects.filter(user=user).first()


def _secret_state(value) -> dict:
    if isinstance(value, UndecryptableSecret):
        return {"state": "undecryptable", "masked": ""}
    if not value:
        return {"state": "missing", "masked": ""}
    return {"state": "set", "masked": mask(value)}


def credentials_status(*, user: AuthUser) -> dict:
    """What the settings page and the API show: never a secret in full, and a clear state per service."""
    profile = profile_for(user=user)
    token = _secret_state(profile.discogs_token if profile else "")
    client_id = _secret_state(profile.ebay_client_id if profile else "")
    secret = _secret_state(profile.ebay_client_secret if profile else "")

    def overall(*states: dict) -> str:
        if any(s["state"] == "undecryptable" for s in states):
            return "reenter"
        return "configured" if all(s["state"] == "set" for s in states) else "not_configured"

    return {
        "discogs": {
            "status": overall(token), "username": profile.discogs_username if profile else "",
            "token": token["masked"], "token_state": token["state"],
            "checked_at": profile.discogs_checked_at if profile else None,
            "check_ok": profile.discogs_check_ok if profile else None,
            "check_message": profile.discogs_check_message if profile else "",
        },
        "ebay": {
            "status": overall(client_id, secret), "client_id": client_id["masked"], "client_id_state": client_id["state"],
            "client_secret": secret["masked"], "client_secret_state": secret["state"],
            "checked_at": profile.ebay_checked_at if profile else None,
            "check_ok": profile.ebay_check_ok if profile else None,
            "check_message": profile.ebay_check_message if profile else "",
        },
        "email_digest": profile.email_digest if profile else DiggerProfile.Digest.OFF,
        "preferred_location": profile.preferred_location if profile else "any",
    }


def search_list_for_user(*, user: AuthUser) -> QuerySet[SavedSearch]:
    return (SavedSearch.objects.filter(user=user)
            .annotate(active_listings=Count("listings", filter=Q(listings__status=Listing.Status.ACTIVE), distinct=True),
                      wanted=Count("listings", filter=Q(listings__status=Listing.Status.ACTIVE,
                                                        listings__in_wantlist=True), distinct=True))
            .order_by("name", "pk"))


def search_get_for_user(*, user: AuthUser, search_id: int) -> SavedSearch:
    """The user's own saved search, or Http404 (another user's search does not exist for them)."""
    search = SavedSearch.objects.filter(pk=search_id, user=user).first()
    if search is None:
        raise Http404("No such saved search.")
    return search


def searches_due(*, now) -> list[SavedSearch]:
    """Active searches never run, or whose last run is older than their interval, with no run under way.

    interval_hours differs per row and date arithmetic on a column is not portable between SQLite
    and PostgreSQL, so the database narrows to searches idle for at least the minimum interval
    (1 hour) and the exact per-row comparison happens here.
    """
    candidates = (SavedSearch.objects.filter(active=True)
                  .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - timedelta(hours=1)))
                  .exclude(runs__status__in=SearchRun.ACTIVE)
                  .select_related("user").order_by("last_run_at", "pk"))
    return [s for s in candidates if s.last_run_at is None or s.last_run_at <= now - timedelta(hours=s.interval_hours)]


def run_list_for_search(*, search: SavedSearch, limit: int = 20) -> list[SearchRun]:
    return list(search.runs.all()[:limit])


def run_active_for_search(*, search: SavedSearch) -> SearchRun | None:
    return search.runs.filter(status__in=SearchRun.ACTIVE).first()


def run_latest_for_search(*, search: SavedSearch) -> SearchRun | None:
    return search.runs.first()


def runs_recent_for_user(*, user: AuthUser, limit: int = 10) -> list[SearchRun]:
    return list(SearchRun.objects.filter(search__user=user).select_related("search")[:limit])


def listing_results(*, search: SavedSearch, sort: str = "price", platform: str = "", status: str = "active",
                    wanted: bool = False, collection: str = "", condition: str = "", q: str = "",
                    max_price=None) -> QuerySet[Listing]:
    """A search's listings, filtered and sorted for the results table and the API."""
    qs = Listing.objects.filter(search=search)
    if status in ("active", "gone"):
        qs = qs.filter(status=status)
    if platform in ("discogs", "ebay"):
        qs = qs.filter(platform=platform)
    if wanted:
        qs = qs.filter(in_wantlist=True)
    if collection == "hide":
        qs = qs.filter(in_collection=False)
    elif collection == "only":
        qs = qs.filter(in_collection=True)
    if condition:
        from integrations.discogs.types import CONDITION_CODES

        if condition in CONDITION_CODES:
            qs = qs.filter(media_condition__in=CONDITION_CODES[: CONDITION_CODES.index(condition) + 1])
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(artist__icontains=q) | Q(seller__icontains=q) | Q(catno__icontains=q))
    if max_price is not None:
        qs = qs.filter(price__lte=max_price)
    return qs.order_by(*RESULT_SORTS.get(sort, RESULT_SORTS["price"]))


def listings_distinct(listings: Iterable[Listing]) -> list[Listing]:
    """Each marketplace listing once (two saved searches that found it hold a row each), first row wins."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for listing in listings:
        if (listing.platform, listing.external_id) not in seen:
            seen.add((listing.platform, listing.external_id))
            kept.append(listing)
    return kept


def listing_get_for_user(*, user: AuthUser, listing_id: int) -> Listing:
    listing = Listing.objects.filter(pk=listing_id, search__user=user).select_related("search").first()
    if listing is None:
        raise Http404("No such listing.")
    return listing


_DEAL_FIELDS = ("id", "external_id", "platform", "seller", "title", "artist", "price", "currency", "shipping", "market_price",
                "in_wantlist", "in_collection", "release_id", "media_condition", "url", "seller_rating",
                "seller_ratings_count", "seller_country")


def deals_for_user(*, user: AuthUser, search: SavedSearch | None = None, limit: int | None = None,
                   wanted_only: bool = False) -> list[Deal]:
    """Active listings of the user's active searches grouped by seller and scored (digger/scoring.py).

    Items already in the collection are left out unless they are also wanted.
    """
    qs = Listing.objects.filter(search__user=user, status=Listing.Status.ACTIVE, search__active=True)
    if search is not None:
        qs = qs.filter(search=search)
    qs = qs.filter(Q(in_collection=False) | Q(in_wantlist=True))
    if wanted_only:
        qs = qs.filter(in_wantlist=True)
    profile = profile_for(user=user)
    # Oldest row first, so a listing two searches found is represented by the same row every time.
    rows = qs.order_by("pk").values(*_DEAL_FIELDS)
    deals = build_deals(rows, preferred=profile.preferred_location if profile else "any")
    _tag_deal_items(deals)
    return deals[:limit] if limit else deals


def _tag_deal_items(deals: list[Deal]) -> None:
    """Steal/high tags from the fair-price bands, in one query for every release shown."""
    release_ids = {i.release_id for d in deals for i in d.items if i.release_id}
    bands = {(b.release_id, b.media_condition, b.currency): b
             for b in PriceBand.objects.filter(release_id__in=release_ids)} if release_ids else {}
    for deal in deals:
        for item in deal.items:
            band = bands.get((item.release_id, item.media_condition, item.currency)) if item.release_id else None
            item.tag = band_tag(landed=item.price + (item.shipping or Decimal("0")), band=band)


def collection_for_user(*, user: AuthUser, kind: str, q: str = "") -> QuerySet[CollectionItem]:
    qs = CollectionItem.objects.filter(user=user, kind=kind)
    if q:
        qs = qs.filter(Q(artist__icontains=q) | Q(title__icontains=q) | Q(catno__icontains=q))
    return qs


def collection_counts(*, user: AuthUser) -> dict[str, int]:
    counts = dict(CollectionItem.objects.filter(user=user).values_list("kind").annotate(n=Count("id"))
                  .values_list("kind", "n"))
    return {"collection": counts.get("collection", 0), "want": counts.get("want", 0)}


def release_overview_for_user(*, user: AuthUser, release_id: int) -> dict:
    """The user's listings of one Discogs release with their price history, and the market view."""
    listings = listings_distinct(Listing.objects.filter(search__user=user, release_id=release_id).select_related("search")
                                 .order_by("status", "price", "pk"))
    owned = list(CollectionItem.objects.filter(user=user, release_id=release_id))
    history = list(PriceHistory.objects.filter(listing__in=listings).select_related("listing").order_by("recorded_at"))
    # Only the user's own data is shown, so a release they have nothing for is an empty page, not a 404.
    source = owned[0] if owned else (listings[0] if listings else None)
    title = source.title if source else f"Discogs release {release_id}"
    artist = source.artist if source else ""
    return {"release_id": release_id, "title": title, "artist": artist, "listings": listings, "owned": owned,
            "history": history, "market": ReleasePrice.objects.filter(release_id=release_id).first()}


def price_chart(history: list[PriceHistory], *, width: int = 640, height: int = 220, pad: int = 32) -> dict:
    """Server-side SVG geometry for a price history: one polyline per listing, shared axes."""
    if not history:
        return {}
    times = [h.recorded_at.timestamp() for h in history]
    prices = [float(h.price) for h in history]
    t0, t1 = min(times), max(times)
    p0, p1 = min(prices), max(prices)
    if t1 == t0:
        t1 = t0 + 1
    if p1 == p0:
        p0, p1 = p0 * 0.9, p1 * 1.1 + 1
    series: dict[int, list[tuple[float, float]]] = {}
    for h, t, p in zip(history, times, prices, strict=True):
        x = pad + (t - t0) / (t1 - t0) * (width - 2 * pad)
        y = height - pad - (p - p0) / (p1 - p0) * (height - 2 * pad)
        series.setdefault(h.listing_id, []).append((round(x, 1), round(y, 1)))
    lines = []
    for index, (listing_id, points) in enumerate(series.items()):
        if len(points) == 1:
            points = [points[0], (points[0][0] + 4, points[0][1])]
        lines.append({"listing_id": listing_id, "points": " ".join(f"{x},{y}" for x, y in points),
                      "dots": points, "n": index % 6})
    first, last = history[0].recorded_at, history[-1].recorded_at
    return {"width": width, "height": height, "pad": pad, "lines": lines, "min": f"{p0:.2f}", "max": f"{p1:.2f}",
            "y_min": height - pad, "y_max": pad, "x_max": width - pad, "label_y": height - pad + 16,
            "first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}", "currency": history[0].currency}


def notifications_for_user(*, user: AuthUser, unread_only: bool = False, limit: int = 20) -> list[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[:limit])


def dashboard_for_user(*, user: AuthUser) -> dict:
    new_since = timezone.now() - timedelta(days=7)
    new_matches = (Listing.objects.filter(search__user=user, status=Listing.Status.ACTIVE, in_wantlist=True,
                                          first_seen_at__gte=new_since).select_related("search")
                   .order_by("-first_seen_at", "price")[:40])
    return {
        "new_matches": listings_distinct(new_matches)[:10],
        "deals": deals_for_user(user=user, limit=5),
        "runs": runs_recent_for_user(user=user, limit=8),
        "notifications": notifications_for_user(user=user, unread_only=True, limit=8),
        "searches": SavedSearch.objects.filter(user=user).count(),
        "counts": collection_counts(user=user),
        "credentials": credentials_status(user=user),
    }


def home_card(*, user: AnyUser) -> dict | None:
    """The home page card "New digger matches" (want-list items found in the last 7 days)."""
    if not user.is_authenticated:
        return None
    since = timezone.now() - timedelta(days=7)
    matches = listings_distinct(Listing.objects.filter(search__user=user, status=Listing.Status.ACTIVE, in_wantlist=True,
                                                       first_seen_at__gte=since).order_by("price")[:20])[:5]
    if not matches and not SavedSearch.objects.filter(user=user).exists():
        return None
    return {"title": "New digger matches", "url": reverse("digger:index"), "template": "digger/_home_card.html",
            "matches": matches}


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """The user's own saved searches matching `query` (for the header search)."""
    if not user or not user.is_authenticated or not (query or "").strip():
        return []
    q = query.strip()
    qs = (SavedSearch.objects.filter(user=user)
          .filter(Q(name__icontains=q) | Q(query__icontains=q) | Q(artist__icontains=q) | Q(title__icontains=q)
                  | Q(catno__icontains=q))
          .order_by("name")[:limit])
    return [{"kind": "saved_search", "title": s.name, "subtitle": f"Digger search · {s.get_platform_display()}",
             "url": reverse("digger:search_detail", args=[s.pk])} for s in qs]


def stats() -> dict:
    """Figures for the staff statistics page."""
    runs = dict(SearchRun.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    agg = Listing.objects.aggregate(active=Count("id", filter=Q(status=Listing.Status.ACTIVE)),
                                    wanted=Count("id", filter=Q(in_wantlist=True, status=Listing.Status.ACTIVE)),
                                    cheapest=Min("price"), last_seen=Max("last_seen_at"))
    return {"saved_searches": SavedSearch.objects.count(), "runs_by_status": runs,
            "active_listings": agg["active"], "want_list_matches": agg["wanted"],
            "collection_items": CollectionItem.objects.count()}


# -- links, covers and alert items (e-mails and webhooks need absolute URLs) -------------------------------------
def absolute_url(path: str) -> str:
    """`path` on this site, from SITE_DOMAIN (http for a local domain, https otherwise)."""
    domain = getattr(settings, "SITE_DOMAIN", "localhost:8000")
    scheme = "http" if domain.split(":")[0] in ("localhost", "127.0.0.1", "testserver") else "https"
    return f"{scheme}://{domain}{path}"


COVER_SALT = "digger.cover"


def cover_url(*, listing: Listing) -> str:
    """An absolute, signed URL of the listing's cover: e-mail clients fetch it without a session."""
    token = signing.dumps(listing.pk, salt=COVER_SALT)
    return absolute_url(reverse("digger:cover", args=[token]))


def cover_for_token(*, token: str) -> tuple[str, str]:
    """(placeholder key, title) for a signed cover token; Http404 when the token was not made here."""
    try:
        listing_id = signing.loads(token, salt=COVER_SALT)
    except signing.BadSignature as exc:
        raise Http404("No such cover.") from exc
    listing = Listing.objects.filter(pk=listing_id).only("release_id", "artist", "title").first()
    if listing is None:
        raise Http404("No such cover.")
    key = f"release:{listing.release_id}" if listing.release_id else f"listing:{listing.pk}"
    return key, f"{listing.artist} {listing.title}".strip()


def band_for(*, release_id: int | None, grade: str, currency: str) -> PriceBand | None:
    if not release_id or not grade:
        return None
    return PriceBand.objects.filter(release_id=release_id, media_condition=grade, currency=currency).first()


def band_tag(*, landed: Decimal, band: PriceBand | None) -> str:
    """'steal' under P25, 'high' over P75 (bands rest on at least 5 prices, see digger/bands.py)."""
    if band is None:
        return ""
    return "steal" if landed < band.p25 else "high" if landed > band.p75 else ""


def alert_item(*, listing: Listing, currency: str, rates: dict[str, Decimal]) -> dict:
    """What an alert or digest shows of a listing: cover, price with shipping (landed, in `currency`),
    grade, seller, the fair-price tag and direct links to the listing and the search."""
    own_landed = listing.price + (listing.shipping or Decimal("0"))
    landed = convert(own_landed, source=listing.currency, target=currency, rates=rates)
    band = band_for(release_id=listing.release_id, grade=listing.media_condition, currency=listing.currency)
    return {
        "kind": "listing", "listing_id": listing.pk, "release_id": listing.release_id, "platform": listing.platform,
        "title": listing.title, "artist": listing.artist, "price": str(listing.price),
        "shipping": str(listing.shipping) if listing.shipping is not None else None,
        "listed_currency": listing.currency, "landed": str(landed.quantize(Decimal("0.01"))) if landed is not None else None,
        "currency": currency, "media_condition": listing.media_condition, "sleeve_condition": listing.sleeve_condition,
        "seller": listing.seller, "seller_rating": str(listing.seller_rating) if listing.seller_rating is not None else None,
        "tag": band_tag(landed=own_landed, band=band), "url": listing.url, "cover_url": cover_url(listing=listing),
        "search_url": absolute_url(reverse("digger:search_detail", args=[listing.search_id])),
    }


# -- cart, bands and alerts ---------------------------------------------------------------------------------------
def cart_latest_for_user(*, user: AuthUser) -> CartPlan | None:
    return CartPlan.objects.filter(user=user).select_related("job").order_by("-created_at", "-pk").first()


def cart_get_for_user(*, user: AuthUser, cart_id: int) -> CartPlan:
    cart = CartPlan.objects.filter(user=user, pk=cart_id).select_related("job").first()
    if cart is None:
        raise Http404("No such cart plan.")
    return cart


def price_bands_for_release(*, release_id: int) -> list[PriceBand]:
    return list(PriceBand.objects.filter(release_id=release_id).order_by("currency", "media_condition"))


def price_history_by_grade(*, user: AuthUser, release_id: int) -> dict[str, list[dict]]:
    """The user's landed price points of one release, per media grade, for the chart."""
    points: dict[str, list[dict]] = {}
    for h in (PriceHistory.objects.filter(listing__search__user=user, listing__release_id=release_id)
              .select_related("listing").order_by("recorded_at")):
        grade = h.listing.media_condition or "?"
        points.setdefault(grade, []).append({"t": int(h.recorded_at.timestamp()),
                                             "p": float(h.price + (h.shipping or 0)), "c": h.currency})
    return points


def want_get_for_user(*, user: AuthUser, release_id: int) -> CollectionItem:
    want = CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT, release_id=release_id).first()
    if want is None:
        raise Http404("That release is not on your want list.")
    return want


def alert_channels_for_user(*, user: AuthUser) -> list[AlertChannel]:
    return list(AlertChannel.objects.filter(user=user).order_by("pk"))


def alerts_for_user(*, user: AuthUser, limit: int = 50) -> list[Alert]:
    return list(Alert.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])
