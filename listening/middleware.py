"""Boosted navigation (hx-boost on <body>, so the player keeps playing) must get whole pages back.

htmx marks a boosted request with both HX-Request and HX-Boosted. Views across the site answer HX-Request with a
named partial (the house pattern for hx-get), which a boosted navigation would then paint as the whole page. This
middleware, placed before django_htmx's, hides HX-Request from boosted requests so every view renders its page;
request.htmx.boosted still tells the truth.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class BoostedAsPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_HX_BOOSTED") == "true":
            request.META.pop("HTTP_HX_REQUEST", None)
            request.__dict__.pop("headers", None)  # request.headers is cached: an earlier middleware may have read it
        response = self.get_response(request)
        if request.META.get("HTTP_HX_BOOSTED") == "true":
            vary = response.get("Vary", "")
            if "HX-Boosted" not in vary:
                response["Vary"] = f"{vary}, HX-Boosted" if vary else "HX-Boosted"
        return response
