"""Sends one Web Push message through pywebpush (payload encrypted with aes128gcm, VAPID-signed).

The push service's URL comes from the browser's subscription, so it is checked like a webhook URL
(https, public addresses only) before anything is sent.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from pywebpush import WebPushException, webpush

from integrations.errors import NotConfigured, PermanentError, TransientError
from integrations.http import parse_retry_after
from integrations.webhook.client import check_url

from .errors import SubscriptionGone

SERVICE = "webpush"


def configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def send(*, subscription: dict[str, Any], payload: dict[str, Any], check: Callable[[str], None] | None = None,
         timeout: float = 10.0) -> None:
    """Pushes `payload` (JSON) to one subscription; raises typed errors (gone, transient, permanent)."""
    if not configured():
        raise NotConfigured("Web push is off: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY.", service=SERVICE)
    (check or check_url)(str(subscription.get("endpoint", "")))
    try:
        webpush(subscription_info=subscription, data=json.dumps(payload, default=str),
                vapid_private_key=settings.VAPID_PRIVATE_KEY, vapid_claims={"sub": settings.VAPID_SUBJECT},
                timeout=timeout, ttl=24 * 3600)
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            raise SubscriptionGone("The browser's push subscription is gone.", service=SERVICE, status=status) from exc
        if status is None or status == 429 or status >= 500:
            raise TransientError(f"push service: {exc.message}", service=SERVICE, status=status,
                                 retry_after=parse_retry_after(exc.retry_after)) from exc
        raise PermanentError(f"push service refused the message ({status})", service=SERVICE, status=status) from exc
    except OSError as exc:  # connection errors from requests are OSErrors
        raise TransientError(f"push service unreachable: {exc.__class__.__name__}", service=SERVICE) from exc
