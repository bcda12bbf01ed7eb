"""The eBay Browse client: client-credentials OAuth, item_summary/search and item, under a daily budget.

The application token is cached (shared cache, so every worker reuses it) until shortly before it
expires, and dropped when Browse answers 401 so the next call fetches a fresh one. Each Browse call
spends one unit of the daily call budget, counted in the shared cache (Redis when configured).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import ssl
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import certifi
import httpx
from django.conf import settings
from django.core.cache import cache

from integrations.errors import AuthFailed, MalformedResponse, NotConfigured
from integrations.http import HttpClient

from .errors import BudgetExhausted, CredentialsRejected
from .types import Item, ItemSummary, Money, SearchPage, Seller, Token

TOKEN_PATH = "/identity/v1/oauth2/token"
SCOPE = "https://api.ebay.com/oauth/api_scope"
SEARCH_PATH = "/buy/browse/v1/item_summary/search"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms per client; one context serves the whole process.
    return ssl.create_default_context(cafile=certifi.where())


def _money(raw: Any) -> Money | None:
    if not isinstance(raw, dict) or raw.get("value") in (None, ""):
        return None
    try:
        return Money(value=Decimal(str(raw["value"])).quantize(Decimal("0.01")), currency=str(raw.get("currency") or ""))
    except InvalidOperation:
        return None


def _summary_fields(d: dict[str, Any]) -> dict[str, Any]:
    seller = d.get("seller") or {}
    try:
        pct = Decimal(str(seller["feedbackPercentage"])) if seller.get("feedbackPercentage") not in (None, "") else None
    except InvalidOperation:
        pct = None
    shipping = None
    for option in d.get("shippingOptions") or []:
        cost = _money(option.get("shippingCost"))
        if cost is not None and (shipping is None or cost.value < shipping.value):
            shipping = cost
    image = (d.get("image") or {}).get("imageUrl") or ""
    return {
        "item_id": str(d["itemId"]), "title": str(d.get("title") or ""), "price": _money(d.get("price")),
        "seller": Seller(username=str(seller.get("username") or ""), feedback_percentage=pct,
                         feedback_score=seller.get("feedbackScore") if isinstance(seller.get("feedbackScore"), int) else None),
        "condition": str(d.get("condition") or ""), "condition_id": str(d.get("conditionId") or ""),
        "shipping": shipping, "buying_options": tuple(d.get("buyingOptions") or ()),
        "location_country": str((d.get("itemLocation") or {}).get("country") or ""),
        "url": str(d.get("itemWebUrl") or ""), "image_url": str(image),
        "gtin": str(d.get("gtin") or ""), "epid": str(d.get("epid") or ""),
        "legacy_item_id": str(d.get("legacyItemId") or ""),
    }


class CallBudget:
    """A daily call budget per eBay application, counted in the shared cache (Redis)."""

    def __init__(self, *, app_key: str, budget: int | None = None) -> None:
        self.app_key = app_key
        self.budget = settings.EBAY_DAILY_CALL_BUDGET if budget is None else budget

    def _key(self) -> str:
        return f"ebay:calls:{self.app_key}:{datetime.now(UTC):%Y%m%d}"

    def used(self) -> int:
        return int(cache.get(self._key()) or 0)

    def remaining(self) -> int:
        return max(0, self.budget - self.used())

    def spend(self, calls: int = 1) -> int:
        """Counts `calls` against today's budget, or raises BudgetExhausted without spending."""
        key = self._key()
        cache.add(key, 0, timeout=2 * 24 * 3600)
        used = cache.incr(key, calls)
        if used > self.budget:
            cache.decr(key, calls)
            raise BudgetExhausted(
                f"eBay daily call budget reached ({self.budget} calls today); the rest waits until tomorrow (UTC)",
                used=used - calls, budget=self.budget,
            )
        return used


class EbayClient:
    """Browse API with an application (client-credentials) token."""

    def __init__(self, *, client_id: str, client_secret: str, marketplace_id: str | None = None,
                 api_url: str | None = None, budget: CallBudget | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not client_id or not client_secret:
            raise NotConfigured("eBay is not configured: add your application's client id and secret", service="ebay")
        self.client_id = client_id
        self.client_secret = client_secret
        self.marketplace_id = marketplace_id or settings.EBAY_MARKETPLACE_ID
        self.app_key = hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self.budget = budget or CallBudget(app_key=self.app_key)
        self.http = HttpClient(service="ebay", base_url=api_url or settings.EBAY_API_URL,
                               headers={"Accept": "application/json"},
                               transport=transport or httpx.HTTPTransport(verify=_ssl_context()))

    def close(self) -> None:
        self.http.close()

    # -- OAuth ----------------------------------------------------------------------------------------
    @property
    def _token_key(self) -> str:
        secret = hashlib.sha256(f"{self.client_id}:{self.client_secret}".encode()).hexdigest()[:24]
        return f"ebay:token:{secret}"

    def fetch_token(self) -> Token:
        """POST {EBAY_API_URL}/identity/v1/oauth2/token (client_credentials)."""
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        try:
            data = self.http.request(
                "POST", TOKEN_PATH, headers={"Authorization": f"Basic {basic}",
                                             "Content-Type": "application/x-www-form-urlencoded"},
                data={"grant_type": "client_credentials", "scope": SCOPE},
            ).json()
        except AuthFailed as exc:
            raise CredentialsRejected("eBay rejected the client id or secret", service="ebay", status=exc.status) from exc
        except ValueError as exc:
            raise MalformedResponse("eBay token endpoint returned invalid JSON", service="ebay") from exc
        except Exception as exc:
            if getattr(exc, "status", None) == 400:  # invalid_client comes back as 400 too
                raise CredentialsRejected("eBay rejected the client id or secret", service="ebay", status=400) from exc
            raise
        if not isinstance(data, dict) or not data.get("access_token"):
            raise MalformedResponse("eBay token response without access_token", service="ebay")
        return Token(access_token=str(data["access_token"]), expires_in=int(data.get("expires_in") or 7200))

    def token(self) -> str:
        """The cached application token, fetched when missing or about to expire."""
        cached = cache.get(self._token_key)
        if cached:
            return str(cached)
        token = self.fetch_token()
        cache.set(self._token_key, token.access_token, timeout=max(30, token.expires_in - 120))
        return token.access_token

    def drop_token(self) -> None:
        cache.delete(self._token_key)

    def _browse(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.budget.spend(1)
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}", "X-EBAY-C-MARKETPLACE-ID": self.marketplace_id}
            try:
                return self.http.get_json(path, params=params, headers=headers)
            except AuthFailed:
                self.drop_token()  # expired or revoked: one fresh token, then give up
                if attempt == 2:
                    raise CredentialsRejected("eBay rejected the application token", service="ebay", status=401)
        raise AssertionError("unreachable")

    # -- Browse ---------------------------------------------------------------------------------------
    @staticmethod
    def build_filter(*, conditions: list[str] | None = None, price_min: Decimal | None = None,
                     price_max: Decimal | None = None, currency: str = "", location_country: str = "",
                     location_region: str = "", buying_options: list[str] | None = None) -> str:
        """The Browse `filter` parameter: conditionIds, price + priceCurrency, location, buyingOptions."""
        parts = []
        if conditions:
            parts.append("conditionIds:{" + "|".join(conditions) + "}")
        if price_min is not None or price_max is not None:
            low = "" if price_min is None else f"{price_min}"
            high = "" if price_max is None else f"{price_max}"
            parts.append(f"price:[{low}..{high}]")
            if currency:
                parts.append(f"priceCurrency:{currency}")
        if location_country:
            parts.append(f"itemLocationCountry:{location_country}")
        if location_region:
            parts.append(f"itemLocationRegion:{location_region}")
        if buying_options:
            parts.append("buyingOptions:{" + "|".join(buying_options) + "}")
        return ",".join(parts)

    def search(self, *, query: str, category_id: str | None = None, conditions: list[str] | None = None,
               price_min: Decimal | None = None, price_max: Decimal | None = None, currency: str = "",
               location_country: str = "", location_region: str = "", buying_options: list[str] | None = None,
               sort: str = "price", limit: int = 50, offset: int = 0) -> SearchPage:
        """GET item_summary/search in the vinyl records category (176985) by default."""
        flt = self.build_filter(conditions=conditions, price_min=price_min, price_max=price_max, currency=currency,
                                location_country=location_country, location_region=location_region,
                                buying_options=buying_options)
        params = {"q": query, "category_ids": category_id or settings.EBAY_VINYL_CATEGORY_ID,
                  "limit": max(1, min(limit, 200)), "offset": max(0, offset)}
        if flt:
            params["filter"] = flt
        if sort:
            params["sort"] = sort
        data = self._browse(SEARCH_PATH, params)
        if not isinstance(data, dict):
            raise MalformedResponse("eBay search returned a non-object", service="ebay")
        items = []
        for raw in data.get("itemSummaries") or []:
            if isinstance(raw, dict) and raw.get("itemId"):
                items.append(ItemSummary(**_summary_fields(raw)))
        return SearchPage(total=int(data.get("total") or 0), limit=int(data.get("limit") or limit),
                          offset=int(data.get("offset") or 0), items=items, next=str(data.get("next") or ""))

    def item(self, item_id: str) -> Item:
        """GET /item/{item_id} (e.g. v1|296057072805|0)."""
        from urllib.parse import quote

        data = self._browse(f"/buy/browse/v1/item/{quote(item_id, safe='')}")
        if not isinstance(data, dict) or not data.get("itemId"):
            raise MalformedResponse("eBay item without an itemId", service="ebay")
        aspects = {str(a.get("name")): str(a.get("value")) for a in data.get("localizedAspects") or []
                   if isinstance(a, dict) and a.get("name")}
        available = None
        for est in data.get("estimatedAvailabilities") or []:
            if isinstance(est.get("estimatedAvailableQuantity"), int):
                available = est["estimatedAvailableQuantity"]
        return Item(**_summary_fields(data), description=str(data.get("shortDescription") or ""),
                    mpn=str(data.get("mpn") or ""), brand=str(data.get("brand") or ""), aspects=aspects,
                    quantity_available=available)
