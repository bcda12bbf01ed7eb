from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SPOTIFY_LOGIN_ENABLED": bool(settings.SPOTIFY_CLIENT_ID),
        "EMBEDDED_MODE": settings.STYLUS_EMBEDDED,
        "NAV_SECTIONS": [
            ("albums:index", "Albums"),
            ("recommend:index", "Recommend"),
            ("digger:index", "Digger"),
            ("archive:index", "Archive"),
            ("concerts:index", "Concerts"),
            ("tracks:index", "Tracks"),
        ],
    }
