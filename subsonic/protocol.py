"""The OpenSubsonic wire format: the `subsonic-response` envelope in XML (default) or JSON (`f=json`),
error codes, and reading parameters from the query string or a form POST.

A payload is plain data: dicts, lists, str/int/float/bool. In XML a dict becomes an element whose scalar
values are attributes, whose dict values are child elements and whose list values are repeated child
elements; the few fields the schema makes text elements (album notes, artist biography, image URLs) are
listed in TEXT_ELEMENTS.
"""
from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpRequest, HttpResponse, QueryDict

API_VERSION = "1.16.1"
SERVER_TYPE = "stylus"
SERVER_VERSION = "1.0.0"
XMLNS = "http://subsonic.org/restapi"
TEXT_ELEMENTS = frozenset({"notes", "biography", "musicBrainzId", "lastFmUrl", "smallImageUrl", "mediumImageUrl",
                           "largeImageUrl", "allowedUser"})

# Error codes (OpenSubsonic "error" response)
GENERIC = 0
MISSING_PARAMETER = 10
CLIENT_TOO_OLD = 20
WRONG_CREDENTIALS = 40
TOKEN_AUTH_NOT_SUPPORTED = 41
MECHANISM_NOT_SUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_AUTHORIZED = 50
NOT_FOUND = 70


class SubsonicError(Exception):
    """Answered as `status="failed"` with this code and message (HTTP 200, as every Subsonic server does)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def missing(name: str) -> SubsonicError:
    return SubsonicError(MISSING_PARAMETER, f"Required parameter is missing: {name}")


def not_found(what: str = "The requested data") -> SubsonicError:
    return SubsonicError(NOT_FOUND, f"{what} was not found.")


class Params:
    """The request's parameters: the query string, plus the form body of a POST (formPost extension)."""

    def __init__(self, request: HttpRequest) -> None:
        data = request.GET.copy()
        if request.method == "POST":
            for key, values in request.POST.lists():
                data.setlist(key, data.getlist(key) + values)
        self.data: QueryDict = data

    def get(self, name: str, default: str = "") -> str:
        value = self.data.get(name)
        return default if value is None else value

    def has(self, name: str) -> bool:
        return name in self.data

    def required(self, name: str) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def all(self, name: str) -> list[str]:
        return [v for v in self.data.getlist(name) if v != ""]

    def int(self, name: str, default: int | None = None, *, low: int | None = None, high: int | None = None
            ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise SubsonicError(GENERIC, f"Parameter {name} must be an integer.") from None
        if low is not None and number < low:
            raise SubsonicError(GENERIC, f"Parameter {name} must be at least {low}.")
        if high is not None and number > high:
            return high  # clients ask for "as many as possible" with large counts: cap rather than refuse
        return number

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        return value.lower() in ("true", "1", "yes")

    @property
    def format(self) -> str:
        return "json" if self.get("f").lower() in ("json", "jsonp") else "xml"


def _envelope(status: str) -> dict[str, Any]:
    return {"status": status, "version": API_VERSION, "type": SERVER_TYPE, "serverVersion": SERVER_VERSION,
            "openSubsonic": True}


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _xml(name, item, out)
        return
    if not isinstance(value, dict):  # a text element (TEXT_ELEMENTS, or a bare scalar in a list)
        out.append(f"<{name}>{escape(_attr(value))}</{name}>")
        return
    attrs = []
    children: list[tuple[str, Any]] = []
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, (dict, list)) or key in TEXT_ELEMENTS:
            children.append((key, item))
        else:
            attrs.append(f" {key}={quoteattr(_attr(item))}")
    if not children:
        out.append(f"<{name}{''.join(attrs)}/>")
        return
    out.append(f"<{name}{''.join(attrs)}>")
    for key, item in children:
        _xml(key, item, out)
    out.append(f"</{name}>")


_NESTED = (dict, list)


def _json_clean(value: Any) -> Any:
    """The payload without None values (absent optional fields); recursing only into containers, since a
    whole artist index or search result is thousands of scalars."""
    if type(value) is dict:
        return {k: (_json_clean(v) if type(v) in _NESTED else v) for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_json_clean(v) if type(v) in _NESTED else v for v in value]
    return value


def render(params: Params, payload: dict[str, Any] | None = None, *, status: str = "ok") -> HttpResponse:
    """The envelope around `payload`, in the format the client asked for."""
    body = {**_envelope(status), **(payload or {})}
    if params.format == "json":
        text = json.dumps({"subsonic-response": _json_clean(body)}, ensure_ascii=False, separators=(",", ":"))
        callback = params.get("callback")
        if params.get("f").lower() == "jsonp" and callback.replace("_", "").replace(".", "").isalnum():
            return HttpResponse(f"{callback}({text});", content_type="application/javascript; charset=utf-8")
        return HttpResponse(text, content_type="application/json; charset=utf-8")
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
    _xml("subsonic-response", {"xmlns": XMLNS, **body}, out)
    return HttpResponse("".join(out), content_type="text/xml; charset=utf-8")


def render_error(params: Params, error: SubsonicError) -> HttpResponse:
    return render(params, {"error": {"code": error.code, "message": error.message}}, status="failed")
