"""Alerts you can act on: per-want rules, channels (e-mail, signed webhooks), delivery that never loses one.

A listing alerts once per user (a unique constraint, so two runs racing cannot both alert). Each alert
is delivered to every channel through an AlertDelivery row; a webhook that keeps failing is paused with
a notice and its deliveries wait, pending, until the user resumes it.
"""
from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from common.exceptions import InvalidInput
from common.types import AuthUser
from integrations.discogs.types import CONDITION_CODES, condition_rank
from integrations.errors import IntegrationError, PermanentError, TransientError
from integrations.webhook.client import WebhookClient, check_url
from integrations.webhook.errors import UnsafeURL
from integrations.webpush import client as webpush
from integrations.webpush.errors import SubscriptionGone

from .. import selectors
from ..countries import country_code
from ..currency import convert, currency_check, exchange_rates
from ..models import Alert, AlertChannel, AlertDelivery, CartPlan, CollectionItem, DiggerProfile, Listing, SearchRun
from .credentials import profile_get_or_create
from .notifications import notification_create

CENT = Decimal("0.01")


# -- per-want rules -------------------------------------------------------------------------------------------
def want_alert_update(*, user: AuthUser, release_id: int, data: dict[str, Any]) -> CollectionItem:
    """Sets a want's rules; the ceiling is landed and stored in the user's currency (converted if given in another)."""
    want = CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT, release_id=release_id).first()
    if want is None:
        raise Http404("That release is not on your want list.")
    profile = profile_get_or_create(user=user)
    currency = currency_check(data.get("currency") or profile.currency, field="currency")
    if "max_price" in data:
        value = data["max_price"]
        if value in (None, ""):
            want.max_price = None
        else:
            try:
                amount = Decimal(str(value))
            except InvalidOperation as exc:
                raise InvalidInput("The ceiling is an amount.", field="max_price") from exc
            if not amount.is_finite() or amount < 0 or amount >= Decimal("100000000"):
                raise InvalidInput("The ceiling is an amount between 0 and 99,999,999.", field="max_price")
            rates, _ = exchange_rates()
            converted = convert(amount, source=currency, target=profile.currency, rates=rates)
            if converted is None:
                raise InvalidInput("Your own currency has no exchange rate; choose another.", field="currency")
            want.max_price = converted.quantize(CENT)
    for name in ("min_media_condition", "min_sleeve_condition"):
        if name in data:
            grade = data[name] or ""
            if grade and grade not in CONDITION_CODES:
                raise InvalidInput(f"Unknown grade: use one of {', '.join(CONDITION_CODES)}.", field=name)
            setattr(want, name, grade)
    if "min_seller_rating" in data:
        rating = data["min_seller_rating"]
        if rating in (None, ""):
            want.min_seller_rating = None
        else:
            try:
                want.min_seller_rating = Decimal(str(rating)).quantize(CENT)
            except InvalidOperation as exc:
                raise InvalidInput("The seller rating is a percentage.", field="min_seller_rating") from exc
            if not 0 <= want.min_seller_rating <= 100:
                raise InvalidInput("The seller rating is between 0 and 100 %.", field="min_seller_rating")
    for name in ("steal_only", "must_have", "alert_active"):
        if name in data and data[name] is not None:
            setattr(want, name, bool(data[name]))
    want.save()
    return want


# -- channels -------------------------------------------------------------------------------------------------
def _push_subscription_clean(subscription: dict[str, Any] | None) -> dict[str, Any]:
    """The browser's PushSubscription JSON, checked: an https public endpoint and base64url keys."""
    data = subscription or {}
    endpoint = str(data.get("endpoint") or "")
    raw_keys = data.get("keys")
    keys: dict[str, Any] = raw_keys if isinstance(raw_keys, dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if len(endpoint) > 500:
        raise InvalidInput("The push endpoint is too long.", field="subscription")
    try:
        check_url(endpoint)
    except UnsafeURL as exc:
        raise InvalidInput(f"Push endpoint refused: {exc}", field="subscription") from exc
    if not (re.fullmatch(r"[A-Za-z0-9_-]{40,200}={0,2}", p256dh) and re.fullmatch(r"[A-Za-z0-9_-]{8,100}={0,2}", auth)):
        raise InvalidInput("The subscription keys are not base64url p256dh and auth values.", field="subscription")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def alert_channel_create(*, user: AuthUser, kind: str, url: str = "",
                         subscription: dict[str, Any] | None = None) -> tuple[AlertChannel, str]:
    """Adds (or resumes) a channel; returns it and the user's webhook secret (for the HMAC header)."""
    profile = profile_get_or_create(user=user)
    if kind == AlertChannel.Kind.PUSH:
        if not webpush.configured():
            raise InvalidInput("Browser notifications are off on this server (no VAPID keys).", field="kind")
        clean = _push_subscription_clean(subscription)
        with transaction.atomic():
            channel, _ = AlertChannel.objects.update_or_create(user=user, kind=kind, url=clean["endpoint"],
                                                               defaults={"subscription": clean})
            # A browser that re-subscribes gets a new endpoint: what waited for its old, gone one comes along.
            stale = AlertChannel.objects.filter(user=user, kind=kind, paused_at__isnull=False).exclude(pk=channel.pk)
            AlertDelivery.objects.filter(channel__in=stale, status=AlertDelivery.Status.PENDING).exclude(
                alert__deliveries__channel=channel).update(channel=channel)
            stale.delete()
        alert_channel_resume(channel=channel)
    elif kind == AlertChannel.Kind.EMAIL:
        if not getattr(user, "email", ""):
            raise InvalidInput("Add an e-mail address to your account first.", field="kind")
        channel, _ = AlertChannel.objects.get_or_create(user=user, kind=kind, defaults={"url": ""})
    elif kind == AlertChannel.Kind.WEBHOOK:
        url = (url or "").strip()
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise InvalidInput(str(exc), field="url") from exc
        channel, _ = AlertChannel.objects.get_or_create(user=user, kind=kind, url=url)
    else:
        raise InvalidInput("The channel kind is email, webhook or push.", field="kind")
    if channel.paused_at is not None:
        alert_channel_resume(channel=channel)
    if not profile.webhook_secret:
        profile.webhook_secret = secrets.token_urlsafe(32)
        profile.save(update_fields=["webhook_secret", "updated_at"])
    return channel, str(profile.webhook_secret)


def alert_channel_delete(*, user: AuthUser, channel_id: int) -> None:
    deleted, _ = AlertChannel.objects.filter(user=user, pk=channel_id).delete()
    if not deleted:
        raise Http404("No such alert channel.")


def alert_channel_resume(*, channel: AlertChannel) -> int:
    """Unpauses a channel and sends what waited for it; returns how many deliveries were re-queued."""
    AlertChannel.objects.filter(pk=channel.pk).update(paused_at=None, failures=0, notice="")
    channel.paused_at, channel.failures, channel.notice = None, 0, ""
    pending = list(channel.deliveries.filter(status=AlertDelivery.Status.PENDING).values_list("pk", flat=True))
    for delivery_id in pending:
        _enqueue_delivery(delivery_id)
    return len(pending)


# -- raising alerts -------------------------------------------------------------------------------------------
def listing_alert_check(*, listing: Listing, want: CollectionItem, profile: DiggerProfile,
                        rates: dict[str, Decimal]) -> dict[str, Any] | None:
    """The alert item when `listing` passes every rule of `want`, else None."""
    if want.min_media_condition and condition_rank(listing.media_condition) > condition_rank(want.min_media_condition):
        return None
    if want.min_sleeve_condition and condition_rank(listing.sleeve_condition) > condition_rank(want.min_sleeve_condition):
        return None
    if want.min_seller_rating is not None and (listing.seller_rating is None
                                               or listing.seller_rating < want.min_seller_rating):
        return None
    item = selectors.alert_item(listing=listing, currency=profile.currency, rates=rates)
    if item["landed"] is None:
        return None  # no rate to compare against the ceiling
    duty = Decimal(str((profile.duty_rates or {}).get(country_code(listing.seller_country), "0"))) / 100
    if duty:  # landed means what the user pays: the import duty they set for the seller's country too
        item["duty"] = str((Decimal(item["landed"]) * duty).quantize(CENT))
        item["landed"] = str((Decimal(item["landed"]) * (1 + duty)).quantize(CENT))
    if want.max_price is not None and Decimal(item["landed"]) > want.max_price:
        return None
    if want.steal_only and item["tag"] != "steal":
        return None
    return item


def alerts_check_run(*, run_id: int) -> int:
    """Alerts on every listing a run saw that passes its want's rules and never alerted; returns how many."""
    run = SearchRun.objects.select_related("search", "search__user").get(pk=run_id)
    user = run.search.user
    wants = {w.release_id: w for w in CollectionItem.objects.filter(user=user, kind=CollectionItem.Kind.WANT,
                                                                    alert_active=True)}
    if not wants:
        return 0
    profile = profile_get_or_create(user=user)
    rates, _ = exchange_rates()
    created = 0
    for listing in Listing.objects.filter(search=run.search, last_run=run, status=Listing.Status.ACTIVE,
                                          release_id__in=list(wants)):
        assert listing.release_id is not None
        item = listing_alert_check(listing=listing, want=wants[listing.release_id], profile=profile, rates=rates)
        if item is not None and alert_create(user=user, kind=Alert.Kind.LISTING, platform=listing.platform,
                                             external_id=listing.external_id, payload=item) is not None:
            created += 1
    return created


def alert_cart_drop(*, cart: CartPlan, previous: CartPlan) -> Alert | None:
    """Alerts when the cart's landed total fell by more than the user's threshold since the last plan."""
    profile = profile_get_or_create(user=cart.user)
    if cart.landed_total is None or not previous.landed_total or previous.landed_total <= 0:
        return None
    drop = (previous.landed_total - cart.landed_total) / previous.landed_total * 100
    if drop <= profile.cart_drop_alert_percent:
        return None
    payload = {"kind": "cart", "title": f"Your cart dropped {drop.quantize(Decimal('0.1'))}%",
               "landed": str(cart.landed_total), "previous": str(previous.landed_total), "currency": cart.currency,
               "savings": cart.plan.get("savings"), "url": selectors.absolute_url(f"/digger/cart/?plan={cart.pk}"),
               "listing_urls": cart.plan.get("listing_urls", [])}
    return alert_create(user=cart.user, kind=Alert.Kind.CART, platform="", external_id="", payload=payload)


def alert_create(*, user: AuthUser, kind: str, platform: str, external_id: str,
                 payload: dict[str, Any]) -> Alert | None:
    """Stores the alert and queues its deliveries; None when this listing already alerted (never twice)."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(user=user, kind=kind, platform=platform, external_id=external_id,
                                         payload=payload)
            for channel in AlertChannel.objects.filter(user=user):
                delivery = AlertDelivery.objects.create(alert=alert, channel=channel)
                if channel.paused_at is None:
                    _enqueue_delivery(delivery.pk)
    except IntegrityError:
        return None
    notification_create(user=user, kind="alert", message=f"Alert: {payload.get('title', '')}"[:500],
                        url=str(payload.get("url", ""))[:300])
    return alert


def _enqueue_delivery(delivery_id: int) -> None:
    from ..tasks import deliver_alert

    transaction.on_commit(lambda: deliver_alert.delay(delivery_id))


# -- delivering ------------------------------------------------------------------------------------------------
def _email_text(payload: dict[str, Any]) -> str:
    if payload.get("kind") == "cart":
        return (f"{payload['title']}: now {payload['landed']} {payload['currency']} (was {payload['previous']}).\n"
                f"Open the plan: {payload['url']}\n")
    return (f"{payload.get('artist', '')} – {payload.get('title', '')}\n"
            f"{payload.get('price')} + {payload.get('shipping') or '0'} shipping = {payload.get('landed')} "
            f"{payload.get('currency')}\nGrade: {payload.get('media_condition') or '?'} / "
            f"{payload.get('sleeve_condition') or '?'}\nSeller: {payload.get('seller')} "
            f"({payload.get('seller_rating') or 'no rating'})\nBuy it: {payload.get('url')}\n"
            f"Cover: {payload.get('cover_url')}\nSearch: {payload.get('search_url')}\n")


def alert_deliver(*, delivery_id: int) -> AlertDelivery:
    """Sends one delivery (idempotent: a sent one is left alone; a paused channel keeps it pending).

    Raises TransientError when the task should retry; after DIGGER_WEBHOOK_MAX_FAILURES failures in a
    row the channel is paused with a notice, and nothing is lost: the deliveries stay pending.
    """
    delivery = AlertDelivery.objects.select_related("alert", "channel", "channel__user").get(pk=delivery_id)
    channel = delivery.channel
    if delivery.status == AlertDelivery.Status.SENT or channel.paused_at is not None:
        return delivery
    payload = delivery.alert.payload
    try:
        if channel.kind == AlertChannel.Kind.EMAIL:
            send_mail(subject=f"Stylus Digger alert: {payload.get('title', '')}"[:150], message=_email_text(payload),
                      from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[channel.user.email])
        elif channel.kind == AlertChannel.Kind.PUSH:
            webpush.send(subscription=channel.subscription, payload={
                "title": f"{payload.get('artist', '')} – {payload.get('title', '')}".strip(" –"),
                "body": (f"{payload.get('landed')} {payload.get('currency')} landed · {payload.get('media_condition') or '?'}"
                         f" · {payload.get('seller', '')}") if payload.get("kind") != "cart" else payload.get("title", ""),
                "icon": payload.get("cover_url", ""), "url": payload.get("url", "")})
        else:
            profile = profile_get_or_create(user=channel.user)
            client = WebhookClient()
            try:
                client.post(url=channel.url, payload={"type": f"digger.alert.{delivery.alert.kind}", **payload},
                            secret=str(profile.webhook_secret))
            finally:
                client.close()
    except SubscriptionGone as exc:
        # The browser unsubscribed: no retry can help. Paused at once; a new subscription takes its deliveries.
        AlertDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:300])
        AlertChannel.objects.filter(pk=channel.pk).update(
            paused_at=timezone.now(), notice="This browser stopped accepting notifications: enable them again.")
        return delivery
    except (IntegrationError, OSError) as exc:
        _delivery_failed(delivery, str(exc))
        if isinstance(exc, PermanentError):
            return delivery
        raise TransientError(str(exc), service="webhook") from exc
    AlertDelivery.objects.filter(pk=delivery.pk).update(status=AlertDelivery.Status.SENT, sent_at=timezone.now(),
                                                        attempts=F("attempts") + 1, last_error="")
    AlertChannel.objects.filter(pk=channel.pk).update(failures=0)
    delivery.refresh_from_db()
    return delivery


def _delivery_failed(delivery: AlertDelivery, error: str) -> None:
    AlertDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1, last_error=error[:300])
    AlertChannel.objects.filter(pk=delivery.channel_id).update(failures=F("failures") + 1)
    channel = AlertChannel.objects.get(pk=delivery.channel_id)
    if channel.failures >= settings.DIGGER_WEBHOOK_MAX_FAILURES and channel.paused_at is None:
        notice = f"Paused after {channel.failures} failed deliveries ({error[:150]}). Alerts wait until you resume it."
        AlertChannel.objects.filter(pk=channel.pk).update(paused_at=timezone.now(), notice=notice[:300])
        notification_create(user=channel.user, kind="error", message=f"Your {channel.get_kind_display()} alert "
                            f"channel was paused: {notice}", url="/digger/alerts/")
