"""In-app notifications and the e-mail digest."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from ..models import (
    DiggerProfile,
    Notification,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def notification_create(*, user: AbstractBaseUser | AnonymousUser, message: str, kind: str = "match", url: str = "") -> Notification:
    return Notification.objects.create(user=user, kind=kind, message=message[:500], url=url[:300])


def notifications_mark_read(*, user: AbstractBaseUser | AnonymousUser, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def digest_send(*, user: AbstractBaseUser | AnonymousUser) -> int:
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
