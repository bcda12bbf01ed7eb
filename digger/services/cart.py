"""The cart optimizer: turns the user's want-list listings into a MILP (digger/optimizer.py), solves it
as a job with a live bar, and stores the plan grouped by seller with its savings and what was left out."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction

from common.exceptions import InvalidInput
from common.models import Job
from common.services import job_claim, job_failure_guard, job_finish, job_progress, job_start
from common.types import AuthUser
from integrations.discogs.types import condition_rank

from .. import optimizer
from ..countries import country_code, expand_codes, is_known
from ..currency import convert, currency_check, exchange_rates
from ..models import CartPlan, CollectionItem, DiggerProfile, Listing
from ..scoring import region_of
from .credentials import profile_get_or_create

CENT = Decimal("0.01")
MAX_BUDGET = Decimal("10000000")


# -- options ------------------------------------------------------------------------------------------------
@dataclass
class CartOptions:
    budget: Decimal | None = None
    max_sellers: int | None = None
    must_have: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"budget": str(self.budget) if self.budget is not None else None, "max_sellers": self.max_sellers,
                "must_have": self.must_have}


def cart_options_clean(*, budget: Any = None, max_sellers: Any = None, must_have: Any = None) -> CartOptions:
    """Validates cart options (shared by the page and the API); InvalidInput names the field."""
    options = CartOptions()
    if budget not in (None, ""):
        try:
            options.budget = Decimal(str(budget)).quantize(CENT)
        except (InvalidOperation, ValueError) as exc:
            raise InvalidInput("The budget is an amount.", field="budget") from exc
        if not options.budget.is_finite() or options.budget < 0 or options.budget > MAX_BUDGET:
            raise InvalidInput("The budget is an amount between 0 and 10,000,000.", field="budget")
    if max_sellers not in (None, ""):
        try:
            options.max_sellers = int(max_sellers)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("The seller limit is a whole number.", field="max_sellers") from exc
        if not 1 <= options.max_sellers <= 1000:
            raise InvalidInput("The seller limit is between 1 and 1,000.", field="max_sellers")
    ids = []
    for value in must_have or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError) as exc:
            raise InvalidInput("Must-haves are Discogs release ids.", field="must_have") from exc
    if len(ids) > 1000:
        raise InvalidInput("At most 1,000 must-haves.", field="must_have")
    options.must_have = sorted(set(ids))
    return options


# -- building the problem -----------------------------------------------------------------------------------
@dataclass
class Candidate:
    listing: Listing
    price: Decimal  # in the user's currency
    seller_key: str


@dataclass
class CartInput:
    """The problem with what is needed to explain the plan."""

    problem: optimizer.Problem
    currency: str
    rates_date: str
    candidates: dict[int, Candidate]
    shipping: dict[str, tuple[Decimal, Decimal, Decimal]]  # seller key -> (base, extra, duty rate)
    wants: dict[int, CollectionItem]
    reasons: dict[int, str]  # release id -> why no listing of it can be bought


def _passes(listing: Listing, want: CollectionItem, profile: DiggerProfile, allow: set[str], block: set[str]) -> str:
    """'' when the listing may be bought for the want, else the reason it may not."""
    if want.min_media_condition and condition_rank(listing.media_condition) > condition_rank(want.min_media_condition):
        return "grade"
    if want.min_sleeve_condition and condition_rank(listing.sleeve_condition) > condition_rank(want.min_sleeve_condition):
        return "grade"
    floor = max((r for r in (profile.min_seller_rating, want.min_seller_rating) if r is not None), default=None)
    if floor is not None and (listing.seller_rating is None or listing.seller_rating < floor):
        return "seller rating"
    code = country_code(listing.seller_country)
    if (allow and code not in allow) or (block and code in block):
        return "country"
    return ""


def cart_input_for_user(*, user: AuthUser, options: CartOptions) -> CartInput:
    """The user's active want-list listings that pass every rule, as an optimizer.Problem."""
    profile = profile_get_or_create(user=user)
    rates, rates_date = exchange_rates()
    currency = profile.currency if profile.currency in rates else "USD"
    wants = {w.release_id: w for w in CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT)}
    unknown = [rid for rid in options.must_have if rid not in wants]
    if unknown:
        raise InvalidInput(f"Not on your want list: {', '.join(map(str, unknown[:5]))}.", field="must_have")
    allow, block = expand_codes(profile.country_allow), expand_codes(profile.country_block)
    duty = {code.upper(): Decimal(str(rate)) / 100 for code, rate in (profile.duty_rates or {}).items()}
    listings = (Listing.objects.filter(search__user=user, status=Listing.Status.ACTIVE, release_id__in=list(wants))
                .order_by("pk"))
    reasons: dict[int, str] = {}
    seen: set[tuple[str, str]] = set()
    candidates: dict[int, Candidate] = {}
    known_shipping: dict[str, list[Decimal]] = defaultdict(list)
    seller_country: dict[str, str] = {}
    for listing in listings:
        identity = (listing.platform, listing.external_id)  # two searches may hold the same listing
        if identity in seen or not listing.seller:
            continue
        seen.add(identity)
        assert listing.release_id is not None
        why = _passes(listing, wants[listing.release_id], profile, allow, block)
        price = convert(listing.price, source=listing.currency, target=currency, rates=rates)
        if price is None:
            why = why or "currency"
        if why:
            reasons.setdefault(listing.release_id, why)
            continue
        assert price is not None
        key = f"{listing.platform}:{listing.seller}"
        candidates[listing.pk] = Candidate(listing=listing, price=price, seller_key=key)
        seller_country[key] = listing.seller_country
        if listing.shipping is not None:
            charged = convert(listing.shipping, source=listing.currency, target=currency, rates=rates)
            if charged is not None:
                known_shipping[key].append(charged)
    shipping: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for key, country in seller_country.items():
        domestic = profile.preferred_location not in ("", "any") and region_of(country) == profile.preferred_location
        first, extra = (Decimal(v) for v in settings.DIGGER_SHIPPING["domestic" if domestic else "international"])
        estimate = convert(first, source="USD", target=currency, rates=rates) or first
        extra = convert(extra, source="USD", target=currency, rates=rates) or extra
        # The seller's own listings say what one item ships for; the region estimate stands in otherwise.
        base = max(known_shipping[key]) if known_shipping.get(key) else estimate
        shipping[key] = (base, extra, duty.get(country_code(country), Decimal("0")))
    for release_id in wants:
        if release_id not in reasons and not any(c.listing.release_id == release_id for c in candidates.values()):
            reasons[release_id] = "no listing"
    offers = [optimizer.Offer(key=pk, want=c.listing.release_id or 0, seller=c.seller_key, price=float(c.price))
              for pk, c in candidates.items()]
    sellers = {key: optimizer.Seller(key=key, base=float(b), extra=float(e), duty=float(d))
               for key, (b, e, d) in shipping.items()}
    must = set(options.must_have) | {rid for rid, w in wants.items() if w.must_have}
    problem = optimizer.Problem(offers=offers, sellers=sellers, must_have=must,
                                budget=float(options.budget) if options.budget is not None else None,
                                max_sellers=options.max_sellers)
    return CartInput(problem=problem, currency=currency, rates_date=rates_date, candidates=candidates,
                     shipping=shipping, wants=wants, reasons=reasons)


# -- the plan ---------------------------------------------------------------------------------------------------
def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _seller_total(data: CartInput, key: str, prices: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    base, extra, duty = data.shipping[key]
    subtotal = sum(prices, Decimal("0"))
    shipping = base + extra * (len(prices) - 1)
    return subtotal, shipping, (subtotal + shipping) * duty


def plan_build(data: CartInput, solution: optimizer.Solution, options: CartOptions) -> dict[str, Any]:
    """The plan as stored and shown: sellers with subtotals, shipping, duty and totals; savings; left-outs."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for pk in solution.chosen:
        groups[data.candidates[pk].seller_key].append(data.candidates[pk])
    sellers: list[dict[str, Any]] = []
    totals = {"items": Decimal("0"), "shipping": Decimal("0"), "duty": Decimal("0")}
    for key, chosen in sorted(groups.items()):
        subtotal, shipping, duty = _seller_total(data, key, [c.price for c in chosen])
        first = chosen[0].listing
        totals["items"] += subtotal
        totals["shipping"] += shipping
        totals["duty"] += duty
        sellers.append({
            "seller": first.seller, "platform": first.platform, "country": first.seller_country,
            "rating": str(first.seller_rating) if first.seller_rating is not None else None,
            "subtotal": _money(subtotal), "shipping": _money(shipping), "duty": _money(duty),
            "total": _money(subtotal + shipping + duty),
            "items": [{"listing_id": c.listing.pk, "release_id": c.listing.release_id, "title": c.listing.title,
                       "artist": c.listing.artist, "price": _money(c.price), "listed_price": str(c.listing.price),
                       "listed_currency": c.listing.currency, "media_condition": c.listing.media_condition,
                       "sleeve_condition": c.listing.sleeve_condition, "url": c.listing.url}
                      for c in sorted(chosen, key=lambda c: c.listing.title)],
        })
    landed = totals["items"] + totals["shipping"] + totals["duty"]
    # Savings: each bought want at its cheapest listing bought alone (first-item shipping and duty each).
    alone = Decimal("0")
    bought = {data.candidates[pk].listing.release_id for pk in solution.chosen}
    for release_id in bought:
        costs = []
        for c in data.candidates.values():
            if c.listing.release_id == release_id:
                base, _extra, duty = data.shipping[c.seller_key]
                costs.append((c.price + base) * (1 + duty))
        alone += min(costs)
    left_out: list[dict[str, Any]] = []
    for release_id, want in sorted(data.wants.items(), key=lambda kv: (kv[1].artist, kv[1].title)):
        if release_id in bought:
            continue
        reason = data.reasons.get(release_id)
        if reason is None:  # it had a listing that passed, so the budget or the seller limit kept it out
            reason = "over budget" if options.budget is not None else "seller limit"
        left_out.append({"release_id": release_id, "artist": want.artist, "title": want.title, "reason": reason})
    urls = [item["url"] for s in sellers for item in s["items"] if item["url"]]
    return {
        "status": "solved" if solution.status != "infeasible" else "infeasible",
        "optimal": solution.optimal, "gap": solution.gap, "seconds": round(solution.seconds, 3),
        "currency": data.currency, "rates_date": data.rates_date, "sellers": sellers,
        "items_total": _money(totals["items"]), "shipping_total": _money(totals["shipping"]),
        "duty_total": _money(totals["duty"]), "landed_total": _money(landed), "alone_total": _money(alone),
        "savings": _money(alone - landed) if sellers else "0.00", "wanted": len(data.wants), "bought": len(bought),
        "left_out": left_out, "listing_urls": urls, "options": options.as_json(),
    }


def cart_compute(*, user: AuthUser, options: CartOptions,
                 time_limit: float | None = None) -> dict[str, Any]:
    """Builds and solves the user's cart in this process and returns the plan (no rows written)."""
    data = cart_input_for_user(user=user, options=options)
    limit = settings.CART_TIME_LIMIT_S if time_limit is None else time_limit
    solution = optimizer.solve(data.problem, time_limit=limit)
    return plan_build(data, solution, options)


# -- the job ----------------------------------------------------------------------------------------------------
def cart_request(*, user: AuthUser, options: CartOptions) -> CartPlan:
    """Queues a solve as a job (live bar); the plan lands on the returned CartPlan when it is done."""
    from ..tasks import solve_cart

    profile = profile_get_or_create(user=user)
    wanted = set(CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT,
                                               release_id__in=options.must_have).values_list("release_id", flat=True))
    unknown = [rid for rid in options.must_have if rid not in wanted]
    if unknown:  # said now, not after the job ran
        raise InvalidInput(f"Not on your want list: {', '.join(map(str, unknown[:5]))}.", field="must_have")
    with transaction.atomic():
        cart = CartPlan.objects.create(user=user, options=options.as_json(), currency=profile.currency)
        job = job_start(user=user, kind="digger.cart", label="Cart optimizer", task=solve_cart, args=(cart.pk,),
                        total=3)
        CartPlan.objects.filter(pk=cart.pk).update(job=job)
        cart.job = job
    return cart


def cart_solve(*, job_id: int, cart_id: int) -> CartPlan:
    """Solves a queued cart (idempotent: the job is claimed once); alerts when the landed total dropped."""
    from .alerts import alert_cart_drop

    job = Job.objects.get(pk=job_id)
    cart = CartPlan.objects.select_related("user").get(pk=cart_id)
    if job.status == Job.Status.PENDING and not job_claim(job_id=job_id):
        return cart
    if cart.status not in ("pending", "running"):
        return cart
    CartPlan.objects.filter(pk=cart.pk).update(status="running")
    options = CartOptions(budget=Decimal(cart.options["budget"]) if cart.options.get("budget") else None,
                          max_sellers=cart.options.get("max_sellers"), must_have=cart.options.get("must_have") or [])
    try:
        # Anything unexpected fails the job (red bar) and the plan, and reaches StylusTask's failed-job record.
        with job_failure_guard(job=job):
            try:
                job_progress(job=job, done=1, total=3, message="Collecting listings")
                data = cart_input_for_user(user=cart.user, options=options)
                job_progress(job=job, done=2, total=3, message=f"Solving: {len(data.problem.offers)} listings "
                                                               f"from {len(data.problem.sellers)} sellers")
                started = time.monotonic()
                solution = optimizer.solve(data.problem, time_limit=settings.CART_TIME_LIMIT_S)
                plan = plan_build(data, solution, options)
                plan["seconds"] = round(time.monotonic() - started, 3)
            except Exception:
                CartPlan.objects.filter(pk=cart.pk).update(status="failed", plan={"status": "failed",
                                                                                  "detail": "The solver failed."})
                raise
    except InvalidInput as exc:
        CartPlan.objects.filter(pk=cart.pk).update(status="failed", plan={"status": "failed", "detail": exc.detail})
        job_finish(job=job, status=Job.Status.FAILED, message=exc.detail)
        cart.refresh_from_db()
        return cart
    previous = (CartPlan.objects.filter(user=cart.user, status="solved", landed_total__isnull=False)
                .exclude(pk=cart.pk).order_by("-created_at", "-pk").first())
    cart.plan = plan
    cart.status = plan["status"]
    cart.currency = plan["currency"]
    cart.landed_total = Decimal(plan["landed_total"]) if plan["status"] == "solved" else None
    cart.optimal, cart.gap = bool(plan["optimal"]), plan["gap"]
    cart.save(update_fields=["plan", "status", "currency", "landed_total", "optimal", "gap", "updated_at"])
    message = ("Nothing can be bought under these rules" if cart.status == "infeasible" else
               f"{plan['bought']} of {plan['wanted']} wants for {plan['landed_total']} {plan['currency']}")
    job_finish(job=job, message=message, result={"cart_id": cart.pk})
    if previous is not None and cart.landed_total is not None and previous.currency == cart.currency:
        alert_cart_drop(cart=cart, previous=previous)
    return cart


def cart_refresh_after_run(*, user: AuthUser) -> CartPlan | None:
    """Re-solves the cart with the user's last options after a run changed their listings, so the plan
    stays current and a big drop can alert; nothing when they never asked for a cart."""
    last = CartPlan.objects.filter(user=user, is_demo=False).order_by("-created_at", "-pk").first()
    if last is None or CartPlan.objects.filter(user=user, status__in=["pending", "running"]).exists():
        return None
    options = CartOptions(budget=Decimal(last.options["budget"]) if last.options.get("budget") else None,
                          max_sellers=last.options.get("max_sellers"), must_have=last.options.get("must_have") or [])
    try:
        return cart_request(user=user, options=options)
    except InvalidInput:  # a must-have left the want list since: the user asks again with new options
        return None


def cart_set_preferences(*, user: AuthUser, currency: str | None = None,
                         duty_rates: dict[str, Any] | None = None, country_allow: list[str] | None = None,
                         country_block: list[str] | None = None, min_seller_rating: Any = None,
                         cart_drop_alert_percent: Any = None) -> DiggerProfile:
    """The user's currency, duty rates, country lists, seller rating minimum and cart-drop alert threshold."""
    profile = profile_get_or_create(user=user)
    if currency is not None:
        profile.currency = currency_check(currency, field="currency")
    if duty_rates is not None:
        clean: dict[str, str] = {}
        for code, rate in duty_rates.items():
            if str(code).strip().upper() == "EU" or not is_known(str(code)):
                raise InvalidInput(f"Unknown country code: {str(code)[:10]}.", field="duty_rates")
            try:
                value = Decimal(str(rate))
            except InvalidOperation as exc:
                raise InvalidInput("Duty rates are percentages.", field="duty_rates") from exc
            if not value.is_finite() or not 0 <= value <= 100:
                raise InvalidInput("Duty rates are between 0 and 100 %.", field="duty_rates")
            clean[str(code).upper()] = str(value)
        profile.duty_rates = clean
    for name, codes in (("country_allow", country_allow), ("country_block", country_block)):
        if codes is not None:
            if any(not is_known(c) for c in codes):
                raise InvalidInput("Use two-letter country codes (or EU).", field=name)
            setattr(profile, name, sorted({c.strip().upper() for c in codes}))
    if min_seller_rating is not None:
        profile.min_seller_rating = _percent(min_seller_rating, field="min_seller_rating") if min_seller_rating != "" else None
    if cart_drop_alert_percent is not None:
        profile.cart_drop_alert_percent = _percent(cart_drop_alert_percent, field="cart_drop_alert_percent")
    profile.save()
    return profile


def _percent(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput("Enter a percentage.", field=field) from exc
    if not number.is_finite() or not 0 <= number <= 100:
        raise InvalidInput("Enter a percentage between 0 and 100.", field=field)
    return number.quantize(CENT)
