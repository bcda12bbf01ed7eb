"""Issue 12 (security 9): every API input carries a bound, as its model and form do. A string in a request
body or query with no maxLength, pattern, enum or format must be one a validator bounds; those are probed
here with 20,000 characters and must be a 422 naming the field, never stored, never a 500."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

LONG = "x" * 20_000

# Strings the OpenAPI document leaves unbounded because a validator bounds them instead (probed below).
VALIDATED = {
    ("POST", "/api/v1/recommend", "body.market"),
    ("POST", "/api/v1/digger/searches", "body.currency"),
    ("PATCH", "/api/v1/digger/searches/{search_id}", "body.currency"),
    ("PUT", "/api/v1/digger/searches/{search_id}", "body.currency"),
    ("PUT", "/api/v1/digger/wants/{release_id}/alert", "body.currency"),
    ("POST", "/api/v1/tracks/collaborations/batch", "body.usernames[]"),
    ("GET", "/api/v1/archive/items/{identifier}/files", "query:path"),
    ("POST", "/api/v1/tracks/album-series/{series_id}/tracklist", "query:album"),
}
BOUNDED_FORMATS = {"date", "date-time", "binary", "uuid", "email", "uri", "time"}


def _unbounded_strings(spec: dict) -> set[tuple[str, str, str]]:
    components = spec.get("components", {}).get("schemas", {})
    found: set[tuple[str, str, str]] = set()

    def resolve(schema: dict) -> dict:
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(schema: dict, where: str, key: tuple[str, str]) -> None:
        schema = resolve(schema)
        for combined in ("anyOf", "oneOf", "allOf"):
            subs = [resolve(sub) for sub in schema.get(combined, [])]
            # A Decimal: its string form is parsed as a number and the number's range checked (probed below).
            decimal = any(sub.get("type") == "number" and {"maximum", "exclusiveMaximum"} & set(sub) for sub in subs)
            for sub in subs:
                if not (decimal and sub.get("type") == "string"):
                    walk(sub, where, key)
        if schema.get("type") == "string" and not ({"maxLength", "pattern", "enum", "const"} & set(schema)) \
                and schema.get("format") not in BOUNDED_FORMATS:
            found.add((*key, where))
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", key)
        if schema.get("type") == "array":
            walk(schema.get("items", {}), f"{where}[]", key)

    for url, operations in spec["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), url)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":  # path segments are bounded by the URL and checked by each route
                    walk(parameter.get("schema", {}), f"{parameter['in']}:{parameter['name']}", key)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), "body", key)
    return found


def test_every_api_text_input_is_bounded_or_validated(client):
    spec = client.get("/api/v1/openapi.json").json()
    unbounded = _unbounded_strings(spec)
    assert unbounded <= VALIDATED, sorted(unbounded - VALIDATED)


def _post(client, url: str, body: dict, auth: dict, method: str = "post"):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth)


def _field(response) -> str:
    assert response.status_code == 422, response.content[:300]
    return str(response.json()["detail"][0]["loc"][-1])


def test_recommend_over_long_market_is_422_naming_the_field(client):
    response = _post(client, "/api/v1/recommend", {"url": "spotify:track:3SVAN3BRByDmHOhKyIDxfC", "market": LONG}, {})
    assert _field(response) == "market"


def test_digger_over_long_currency_is_422_naming_the_field_and_stores_nothing(client, owner, owner_api):
    from digger.models import SavedSearch
    from tests.digger.factories import SavedSearchFactory

    assert _field(_post(client, "/api/v1/digger/searches", {"name": "x", "artist": "Can", "currency": LONG},
                        owner_api)) == "currency"
    assert not SavedSearch.objects.exists()
    search = SavedSearchFactory(user=owner, currency="EUR")
    for method in ("patch", "put"):
        response = _post(client, f"/api/v1/digger/searches/{search.pk}",
                         {"name": "x", "artist": "Can", "currency": LONG}, owner_api, method=method)
        assert _field(response) == "currency"
    search.refresh_from_db()
    assert search.currency == "EUR"
    response = _post(client, "/api/v1/digger/wants/372000/alert", {"currency": LONG}, owner_api, method="put")
    assert _field(response) == "currency"


def test_digger_decimal_given_as_a_huge_string_is_422_naming_the_field(client, owner_api):
    from digger.models import SavedSearch

    for value in ("9" * 20_000, "1e400", "NaN"):
        response = _post(client, "/api/v1/digger/searches", {"name": "x", "artist": "Can", "price_max": value}, owner_api)
        assert _field(response) == "price_max", value
    assert not SavedSearch.objects.exists()
    assert _field(_post(client, "/api/v1/digger/cart", {"budget": "9" * 20_000}, owner_api)) == "budget"


def test_collaboration_batch_over_long_username_is_a_4xx_and_invites_nobody(client, owner, owner_api):
    from tracks import services
    from tracks.models import Collaboration

    pack = services.pack_create(user=owner, data={"name": "Pack"})
    response = _post(client, "/api/v1/tracks/collaborations/batch", {"pack_id": pack.pk, "usernames": [LONG]},
                     owner_api)
    assert 400 <= response.status_code < 500 and "detail" in response.json(), response.content[:300]
    assert not Collaboration.objects.exists()


def test_archive_files_over_long_path_is_a_4xx(client, replay, settings):
    settings.IA_BASE_URL = replay.url
    replay.add("/metadata/longpathitem", json_body={"metadata": {"identifier": "longpathitem", "title": "Long"},
                                                    "files": [{"name": "d1/t01.mp3", "format": "VBR MP3", "size": "10"}]})
    response = client.get("/api/v1/archive/items/longpathitem/files", {"path": LONG})
    assert 400 <= response.status_code < 500 and "detail" in response.json(), response.content[:300]


def test_series_tracklist_over_long_album_link_is_422_without_a_request(client, owner, owner_api, replay, settings):
    from tracks.models import AlbumSeries

    settings.SPOTIFY_API_URL = replay.url + "/v1"
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer")
    response = client.post(f"/api/v1/tracks/album-series/{series.pk}/tracklist?album={LONG}", **owner_api)
    assert response.status_code == 422 and "detail" in response.json()
    assert replay.requests == []
