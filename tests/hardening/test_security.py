"""Security sweeps over every URL: CSRF on state-changing requests, headers on main pages,
no csrf_exempt views, HSTS in production."""
from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "accounts/", "api/v1/", "static/", "media/", "metrics", "bench/")
# Protocol routes other apps speak (ListenBrainz scrobbling in, Subsonic): they authenticate by the token or app
# password in each request and never by the session cookie, so CSRF does not apply; they are exempt, and
# test_protocol_routes_ignore_the_session_cookie proves a logged-in browser gets nothing from them.
PROTOCOL_PREFIXES = ("apis/listenbrainz/", "rest/", "^rest/")


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _fill(route: str) -> str:
    """A concrete path for a route: ids become 1, strings a safe word, paths a file name."""
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<slug:[^>]+>", "some-slug", route)
    route = re.sub(r"<path:[^>]+>", "some/file.txt", route)
    route = re.sub(r"<(str:)?[^>]+>", "something", route)
    return "/" + route.lstrip("^").rstrip("$")


def site_routes() -> list[str]:
    return sorted({_fill(route) for route, _ in _walk(get_resolver())
                   if not route.startswith((*SKIP_PREFIXES, *PROTOCOL_PREFIXES)) and "(?P" not in route})


def test_no_view_is_csrf_exempt():
    exempt = [route for route, p in _walk(get_resolver())
              if getattr(p.callback, "csrf_exempt", False) and not route.startswith(("api/v1/", "admin/", *PROTOCOL_PREFIXES))]
    assert exempt == []


def test_protocol_routes_ignore_the_session_cookie(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    submit = client.post("/apis/listenbrainz/1/submit-listens", data=json.dumps({"listen_type": "single", "payload": [
        {"listened_at": 1700000000, "track_metadata": {"artist_name": "A", "track_name": "T"}}]}),
        content_type="application/json")
    assert submit.status_code == 401 and submit.json()["code"] == 401
    validate = client.get("/apis/listenbrainz/1/validate-token")
    assert validate.status_code == 400 and "user_name" not in validate.json()
    ping = client.post("/rest/ping.view", {"f": "json", "v": "1.16.1", "c": "sweep"})
    assert ping.json()["subsonic-response"]["status"] == "failed"
    assert ping.json()["subsonic-response"]["error"]["code"] in (10, 40)
    from listening.models import Listen

    assert not Listen.objects.exists()


def test_post_without_csrf_token_is_refused_on_every_page_url(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    routes = site_routes()
    assert len(routes) > 60
    accepted = []
    for path in routes:
        response = client.post(path, {"name": "x"})
        if response.status_code != 403:
            accepted.append((path, response.status_code))
    assert accepted == [], f"POST without a CSRF token was not refused: {accepted}"
    print(f"\ncsrf sweep: {len(routes)} page URLs refused a POST without a CSRF token")


def test_session_api_writes_need_csrf(owner):
    from config.api import api

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    schema = api.get_openapi_schema()
    checked = 0
    for path, methods in schema["paths"].items():
        for method in methods:
            if method not in ("post", "put", "patch", "delete"):
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = getattr(client, method)(url, data="{}", content_type="application/json")
            if path.endswith(("/auth/token", "/auth/token/refresh")):
                continue  # credential exchange takes no session
            checked += 1
            assert response.status_code in (401, 403), f"{method.upper()} {url} -> {response.status_code}"
    assert checked > 20
    print(f"\ncsrf sweep: {checked} API write operations refused a session call without CSRF")


@pytest.mark.parametrize("path", ["/", "/albums/", "/concerts/", "/recommend/", "/archive/", "/accounts/login/"])
def test_security_headers_on_main_pages(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp


def test_hsts_in_production_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_oversized_upload_and_body_refused(owner_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = owner_client.post("/api/v1/tracks/songs", data="x" * 10_000, content_type="application/json")
    assert response.status_code == 413
