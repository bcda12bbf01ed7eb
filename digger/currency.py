"""Currency conversion for the cart, alerts and bands: rates per USD from settings, overridden by the
staff-edited ExchangeRate table (with the date they were set)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings

from common.exceptions import InvalidInput

from .models import ExchangeRate


def exchange_rates() -> tuple[dict[str, Decimal], str]:
    """Units per 1 USD: the admin's table over settings.DIGGER_EXCHANGE_RATES, and the newest date set."""
    rates = {code: Decimal(str(v)) for code, v in settings.DIGGER_EXCHANGE_RATES.items()}
    dated = str(settings.DIGGER_EXCHANGE_RATES_DATE)
    latest: date | None = None
    for row in ExchangeRate.objects.all():
        rates[row.currency.upper()] = row.per_usd
        latest = max(latest, row.set_on) if latest else row.set_on
    return rates, (latest.isoformat() if latest else dated)


def convert(amount: Decimal, *, source: str, target: str, rates: dict[str, Decimal]) -> Decimal | None:
    """`amount` in `source` expressed in `target`; None when either currency has no rate."""
    if source == target:
        return amount
    if source not in rates or target not in rates or rates[source] <= 0:
        return None
    return amount / rates[source] * rates[target]


def currency_check(code: str, *, field: str) -> str:
    """A currency code the rates know, upper-cased; InvalidInput naming `field` otherwise."""
    rates, _ = exchange_rates()
    value = (code or "").strip().upper()
    if value not in rates:
        raise InvalidInput(f"Unknown currency: use one of {', '.join(sorted(rates))}.", field=field)
    return value
