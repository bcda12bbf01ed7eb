"""Digger pages (HTMX): dashboard, saved searches, results, deals, collection, release, settings."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from common.covers import placeholder_png
from common.exceptions import Conflict, InvalidInput
from common.models import Job

from . import selectors, services
from .forms import AlertChannelForm, CartForm, CartPreferencesForm, CredentialsForm, SavedSearchForm, WantAlertForm
from .models import CartPlan, CollectionItem, Condition, SavedSearch


class DiggerRequest(HttpRequest):
    """What these views receive: django-htmx's details, and a signed-in user (every page but the landing
    page is behind login_required, which the type checker cannot see)."""

    htmx: HtmxDetails
    user: User


PREFILL_FIELDS = ("name", "query", "artist", "title", "barcode", "catno", "release_id", "platform", "format")


def _partial(request: DiggerRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if request.htmx else template


@require_GET
def index(request: DiggerRequest) -> HttpResponse:
    """Dashboard: new want-list matches, best deals, last runs, notifications (an introduction when logged out)."""
    if not request.user.is_authenticated:
        return render(request, "digger/landing.html")
    return render(request, "digger/dashboard.html", {"d": selectors.dashboard_for_user(user=request.user)})


@login_required
@require_GET
def search_list(request: DiggerRequest) -> HttpResponse:
    return render(request, "digger/search_list.html", {"searches": selectors.search_list_for_user(user=request.user)})


def _form_errors(form: SavedSearchForm, exc: InvalidInput) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.detail)


@login_required
@require_http_methods(["GET", "POST"])
def search_create(request: DiggerRequest) -> HttpResponse:
    """New saved search. GET ?artist=&title= (or query, catno, barcode, release_id) prefills the form,
    which is how an album page's "Find on vinyl" link lands here."""
    if request.method == "POST":
        form = SavedSearchForm(request.POST)
        if form.is_valid():
            try:
                search = services.search_create(user=request.user, data=form.cleaned_data)
            except InvalidInput as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"Saved “{search.name}”.")
                if request.POST.get("run_now"):
                    try:
                        services.search_run_request(search=search)
                    except Conflict:
                        pass
                return redirect("digger:search_detail", pk=search.pk)
        return render(request, "digger/search_form.html", {"form": form, "creating": True}, status=422)
    initial = {k: request.GET[k].strip()[:200] for k in PREFILL_FIELDS if request.GET.get(k, "").strip()}
    if "name" not in initial and (initial.get("artist") or initial.get("title") or initial.get("query")):
        initial["name"] = " – ".join(p for p in (initial.get("artist"), initial.get("title")) if p) or initial["query"]
    form = SavedSearchForm(initial={"platform": "both", "currency": "USD", "format": "Vinyl", "interval_hours": "24",
                                    "active": True, "seller_location": "any", **initial})
    lookup = None
    if (initial.get("artist") or initial.get("title")) and not initial.get("release_id"):
        lookup = services.discogs_lookup(user=request.user, artist=initial.get("artist", ""), title=initial.get("title", ""))
    return render(request, "digger/search_form.html", {"form": form, "creating": True, "lookup": lookup,
                                                       "prefill": request.GET.urlencode()})


@login_required
@require_http_methods(["GET", "POST"])
def search_edit(request: DiggerRequest, pk: int) -> HttpResponse:
    search = selectors.search_get_for_user(user=request.user, search_id=pk)
    if request.method == "POST":
        form = SavedSearchForm(request.POST)
        if form.is_valid():
            try:
                services.search_update(search=search, data=form.cleaned_data)
            except InvalidInput as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Search updated.")
                return redirect("digger:search_detail", pk=search.pk)
        return render(request, "digger/search_form.html", {"form": form, "search": search}, status=422)
    initial = {f: getattr(search, f) for f in services.SEARCH_FIELDS}
    initial = {k: ("" if v is None else v) for k, v in initial.items()}
    return render(request, "digger/search_form.html", {"form": SavedSearchForm(initial=initial), "search": search})


@login_required
@require_POST
def search_delete(request: DiggerRequest, pk: int) -> HttpResponse:
    search = selectors.search_get_for_user(user=request.user, search_id=pk)
    name = search.name
    services.search_delete(search=search)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("digger:search_list")


@login_required
@require_POST
def search_run(request: DiggerRequest, pk: int) -> HttpResponse:
    """Run now: queues a run (only one at a time per search) and shows its live bar."""
    search = selectors.search_get_for_user(user=request.user, search_id=pk)
    try:
        services.search_run_request(search=search)
    except Conflict as exc:
        messages.info(request, exc.detail)
    else:
        messages.success(request, "Run queued.")
    if request.htmx:
        return render(request, "digger/search_detail.html#run_bar", _run_status_context(search))
    return redirect("digger:search_detail", pk=search.pk)


def _run_status_context(search: SavedSearch) -> dict:
    run = selectors.run_active_for_search(search=search) or selectors.run_latest_for_search(search=search)
    return {"search": search, "run": run, "ws_url": f"/ws/progress/diggersearch/{search.pk}/"}


def _results_filters(request: DiggerRequest) -> dict:
    max_price = None
    if request.GET.get("max_price"):
        try:
            max_price = Decimal(request.GET["max_price"][:20])
        except InvalidOperation:
            max_price = None
        if max_price is not None and not (max_price.is_finite() and 0 <= max_price < 100_000_000):
            max_price = None  # NaN or Infinity would reach the database as an invalid decimal (500)
    return {
        "sort": request.GET.get("sort", "price"), "platform": request.GET.get("platform", ""),
        "status": request.GET.get("status", "active"), "wanted": request.GET.get("wanted") == "1",
        "collection": request.GET.get("collection", ""), "condition": request.GET.get("condition", ""),
        "q": request.GET.get("q", "").strip()[:100], "max_price": max_price,
    }


@login_required
@require_GET
def search_detail(request: DiggerRequest, pk: int) -> HttpResponse:
    """Results table (sortable and filterable in place with htmx), run status and history."""
    search = selectors.search_get_for_user(user=request.user, search_id=pk)
    filters = _results_filters(request)
    results = list(selectors.listing_results(search=search, **filters)[:300])
    context = {"search": search, "results": results, "filters": filters, "runs": selectors.run_list_for_search(search=search),
               "price_sort": "-price" if filters["sort"] == "price" else "price", **_run_status_context(search)}
    return render(request, _partial(request, "digger/search_detail.html", "results"), context)


@login_required
@require_GET
def deals(request: DiggerRequest) -> HttpResponse:
    wanted_only = request.GET.get("wanted") == "1"
    return render(request, "digger/deal_list.html", {
        "deals": selectors.deals_for_user(user=request.user, wanted_only=wanted_only, limit=100),
        "wanted_only": wanted_only,
    })


@login_required
@require_GET
def collection(request: DiggerRequest) -> HttpResponse:
    kind = CollectionItem.Kind.WANT if request.GET.get("kind") == "want" else CollectionItem.Kind.COLLECTION
    q = request.GET.get("q", "").strip()[:100]
    items = selectors.collection_for_user(user=request.user, kind=kind, q=q)[:500]
    job = Job.objects.filter(user=request.user, kind="digger.sync").first()
    context = {"kind": kind, "items": items, "q": q, "job": job, "counts": selectors.collection_counts(user=request.user),
               "profile": selectors.profile_for(user=request.user), "credentials": selectors.credentials_status(user=request.user)}
    return render(request, _partial(request, "digger/collection_list.html", "items"), context)


@login_required
@require_POST
def collection_sync(request: DiggerRequest) -> HttpResponse:
    credentials = selectors.credentials_status(user=request.user)
    if credentials["discogs"]["status"] != "configured" or not credentials["discogs"]["username"]:
        messages.error(request, "Add your Discogs username and token in Digger settings first.")
        return redirect("digger:settings")
    job = services.collection_sync_request(user=request.user)
    if request.htmx:
        return render(request, "digger/collection_list.html#sync", {"job": job})
    messages.success(request, "Sync started.")
    return redirect(reverse("digger:collection"))


@login_required
@require_GET
def release_detail(request: DiggerRequest, release_id: int) -> HttpResponse:
    overview = selectors.release_overview_for_user(user=request.user, release_id=release_id)
    return render(request, "digger/release_detail.html", {
        "o": overview, "chart": selectors.price_chart(overview["history"]),
        "bands": selectors.price_bands_for_release(release_id=release_id),
        "series": selectors.price_history_by_grade(user=request.user, release_id=release_id),
    })


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: DiggerRequest) -> HttpResponse:
    """Credentials (write-only, shown masked), digest choice and preferred location."""
    status = 200
    if request.method == "POST":
        form = CredentialsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            clear = [name for name in services.SECRET_FIELDS if request.POST.get(f"clear_{name}")]
            try:
                services.credentials_update(user=request.user, clear=clear, **data)
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
                status = 422
            else:
                messages.success(request, "Settings saved.")
                return redirect("digger:settings")
        else:
            status = 422
    else:
        current = selectors.credentials_status(user=request.user)
        form = CredentialsForm(initial={"discogs_username": current["discogs"]["username"],
                                        "email_digest": current["email_digest"],
                                        "preferred_location": current["preferred_location"]})
    return render(request, "digger/settings.html", {"form": form, "c": selectors.credentials_status(user=request.user)},
                  status=status)


@login_required
@require_POST
def credentials_test(request: DiggerRequest, service: str) -> HttpResponse:
    """Test connection: calls the service with the stored credentials and shows the outcome."""
    if service not in ("discogs", "ebay"):
        return HttpResponse(status=404)
    ok, message = services.credentials_test(user=request.user, service=service)
    if request.htmx:
        return render(request, "digger/settings.html#test_result", {"ok": ok, "message": message, "service": service})
    (messages.success if ok else messages.error)(request, message)
    return redirect("digger:settings")


@login_required
@require_POST
def notifications_read(request: DiggerRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    if request.htmx:
        return HttpResponse("")
    return redirect("digger:index")


# -- cart, alerts, covers -----------------------------------------------------------------------------------------
def _cart_context(request: DiggerRequest, cart: CartPlan | None, form: CartForm | None = None) -> dict[str, Any]:
    wants = [(w.release_id, f"{w.artist} – {w.title}") for w in
             selectors.collection_for_user(user=request.user, kind=CollectionItem.Kind.WANT)[:500]]
    profile = services.profile_get_or_create(user=request.user)
    preferences = CartPreferencesForm(initial={
        "currency": profile.currency, "duty_rates": ", ".join(f"{k}={v}" for k, v in profile.duty_rates.items()),
        "country_allow": ", ".join(profile.country_allow), "country_block": ", ".join(profile.country_block),
        "min_seller_rating": profile.min_seller_rating or "", "cart_drop_alert_percent": profile.cart_drop_alert_percent})
    return {"cart": cart, "plan": cart.plan if cart else {}, "form": form or CartForm(wants=wants), "preferences": preferences,
            "poll": bool(cart and cart.status in ("pending", "running")), "tab": "cart"}


@login_required
@require_http_methods(["GET", "POST"])
def cart(request: DiggerRequest) -> HttpResponse:
    """The cart optimizer: options, the live bar while it solves, then the plan grouped by seller."""
    wants = [(w.release_id, f"{w.artist} – {w.title}") for w in
             selectors.collection_for_user(user=request.user, kind=CollectionItem.Kind.WANT)[:500]]
    if request.method == "POST":
        form = CartForm(request.POST, wants=wants)
        if form.is_valid():
            try:
                options = services.cart_options_clean(**form.cleaned_data)
                plan = services.cart_request(user=request.user, options=options)
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            else:
                return redirect(f"{reverse('digger:cart')}?plan={plan.pk}")
        return render(request, "digger/cart.html", _cart_context(request, selectors.cart_latest_for_user(user=request.user),
                                                                 form), status=422)
    plan_id = request.GET.get("plan", "")
    current = (selectors.cart_get_for_user(user=request.user, cart_id=int(plan_id)) if plan_id.isdigit()
               else selectors.cart_latest_for_user(user=request.user))
    return render(request, _partial(request, "digger/cart.html", "plan"), _cart_context(request, current))


@login_required
@require_POST
def cart_preferences(request: DiggerRequest) -> HttpResponse:
    """Currency, duty rates, country lists, seller rating minimum and the cart-drop alert threshold."""
    form = CartPreferencesForm(request.POST)
    if form.is_valid():
        try:
            services.cart_set_preferences(user=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            messages.success(request, "Cart preferences saved.")
            return redirect("digger:cart")
    context = _cart_context(request, selectors.cart_latest_for_user(user=request.user))
    return render(request, "digger/cart.html", {**context, "preferences": form}, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request: DiggerRequest) -> HttpResponse:
    """Alert channels (e-mail, webhook) and the alerts sent; per-want rules are set on the want list rows."""
    form = AlertChannelForm()
    status = 200
    if request.method == "POST":
        form = AlertChannelForm(request.POST)
        if form.is_valid():
            try:
                services.alert_channel_create(user=request.user, kind=form.cleaned_data["kind"],
                                              url=form.cleaned_data["url"])
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
                status = 422
            else:
                messages.success(request, "Alert channel saved.")
                return redirect("digger:alerts")
        else:
            status = 422
    wants = selectors.collection_for_user(user=request.user, kind=CollectionItem.Kind.WANT)[:200]
    return render(request, "digger/alert_list.html", {
        "form": form, "channels": selectors.alert_channels_for_user(user=request.user),
        "alerts": selectors.alerts_for_user(user=request.user), "wants": wants, "tab": "alerts",
        "conditions": Condition.choices, "vapid_public_key": settings.VAPID_PUBLIC_KEY,
    }, status=status)


@login_required
@require_POST
def alert_push_subscribe(request: DiggerRequest) -> HttpResponse:
    """Stores this browser's push subscription (JSON from digger-push.js) as an alert channel."""
    if len(request.body) > 4096:
        return JsonResponse({"detail": "The subscription is too large."}, status=413)
    try:
        subscription = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"detail": "Send the subscription as JSON."}, status=400)
    try:
        channel, _secret = services.alert_channel_create(user=request.user, kind="push",
                                                         subscription=subscription if isinstance(subscription, dict) else {})
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.detail, "field": exc.field}, status=422)
    return JsonResponse({"id": channel.pk, "kind": channel.kind}, status=201)


@login_required
@require_POST
def alert_channel_delete(request: DiggerRequest, pk: int) -> HttpResponse:
    services.alert_channel_delete(user=request.user, channel_id=pk)
    messages.success(request, "Alert channel removed.")
    return redirect("digger:alerts")


@login_required
@require_POST
def want_alert(request: DiggerRequest, release_id: int) -> HttpResponse:
    """Saves one want's rules (ceiling, grades, seller rating, steal only, must have, alert on/off)."""
    form = WantAlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the alert rules: " + "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect("digger:alerts")
    try:
        services.want_alert_update(user=request.user, release_id=release_id, data=form.cleaned_data)
    except InvalidInput as exc:
        messages.error(request, f"{exc.field}: {exc.detail}")
        return render(request, "digger/alert_list.html", {
            "form": AlertChannelForm(), "channels": selectors.alert_channels_for_user(user=request.user),
            "alerts": selectors.alerts_for_user(user=request.user), "tab": "alerts", "conditions": Condition.choices,
            "wants": selectors.collection_for_user(user=request.user, kind=CollectionItem.Kind.WANT)[:200],
        }, status=422)
    messages.success(request, "Alert rules saved.")
    return redirect("digger:alerts")


@require_GET
def cover(request: DiggerRequest, token: str) -> HttpResponse:
    """A listing's cover for e-mails (signed link, no session): the generated placeholder, never a hot-link."""
    key, title = selectors.cover_for_token(token=token)
    response = HttpResponse(placeholder_png(key=key, title=title, size=144), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
