"""In-app notifications and the e-mail digest."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.types import AuthUser

from .. import selectors
from ..currency import exchange_rates
from ..models import (
    DiggerProfile,
    Notification,
    SavedSearch,
)


def notification_create(*, user: AuthUser, message: str, kind: str = "match", url: str = "",
                        search: SavedSearch | None = None) -> Notification:
    return Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300], search=search)


def notifications_mark_read(*, user: AuthUser, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def digest_send(*, user: AuthUser) -> int:
    """E-mails the user's not yet e-mailed notifications in one message; returns how many it held.

    Grouped like alerts: per notice, a link to its search, then each listing with its cover, price with
    shipping, grade, seller and a direct link. Links are absolute (SITE_DOMAIN): a mail client has no base.
    """
    email = getattr(user, "email", "")
    pending = list(Notification.objects.filter(user=user, emailed_at__isnull=True).select_related("search")
                   .prefetch_related("listings").order_by("created_at")[:100])
    if not pending or not email:
        return 0
    profile = DiggerProfile.objects.filter(user=user).first()
    currency = profile.currency if profile else "USD"
    rates, _ = exchange_rates()
    groups = []
    for notice in pending:
        listings = sorted(notice.listings.all(), key=lambda listing: (listing.price, listing.pk))
        groups.append({
            "message": notice.message,
            "url": selectors.absolute_url(notice.url) if notice.url.startswith("/") else notice.url,
            "search_url": (selectors.absolute_url(reverse("digger:search_detail", args=[notice.search_id]))
                           if notice.search_id else ""),
            "search_name": notice.search.name if notice.search else "",
            "items": [selectors.alert_item(listing=listing, currency=currency, rates=rates) for listing in listings],
        })
    context = {"groups": groups, "settings_url": selectors.absolute_url(reverse("digger:settings")),
               "site_name": getattr(settings, "SITE_NAME", "Stylus")}
    send_mail(subject=f"Stylus Digger: {len(pending)} update{'s' if len(pending) != 1 else ''}",
              message=render_to_string("digger/email/digest.txt", context),
              html_message=render_to_string("digger/email/digest.html", context),
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email], fail_silently=False)
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
