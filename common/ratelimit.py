"""The per-client limit on external calls, for pages as well as the API.

A page that may reach an outside service (an AOTY search or an unknown AOTY profile, say) spends
the same budget as the API's scraping endpoints (API_EXTERNAL_RATE, 30 a minute by default), under
the same cache key: a client cannot double its share by switching from the API to the pages.
"""
from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .api import ClientRateThrottle


def external_page_limit(request: HttpRequest) -> HttpResponse | None:
    """None when the client may make one more external call now; else the 429 page to return."""
    throttle = ClientRateThrottle(settings.API_EXTERNAL_RATE)
    if throttle.allow_request(request):
        return None
    retry_after = max(1, math.ceil(throttle.wait() or 1))
    response = render(request, "too_many_requests.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
