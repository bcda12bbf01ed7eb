"""Dates that forgive bad input: the seed's "SafeDateTime".

Forms, CSV imports and API clients send "" (or junk like "TBD") for a date they don't know. The
original stored those as errors; here they become NULL, never an exception.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def safe_date(value: Any) -> dt.date | None:
    """A date from a date, datetime or ISO string; None for empty or unparseable input."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    try:
        parsed = parse_date(text[:10])
    except ValueError:  # well-formed but impossible, e.g. 2024-02-31
        return None
    if parsed is None or not 1 <= parsed.year <= 9999:
        return None
    return parsed


def safe_datetime(value: Any) -> dt.datetime | None:
    """An aware datetime from a datetime, date or ISO string; None for empty or unparseable input."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        day = safe_date(value)
        return safe_datetime(day) if day else None
    return safe_datetime(parsed)


# The type arguments (what may be assigned, what is read back) tell django-stubs these columns are
# nullable: the plugin cannot see the null=True that __init__ sets. django_stubs_ext.monkeypatch()
# (config/settings/base.py) makes the subscript a no-op at run time.
class SafeDateField(models.DateField[str | dt.date | Combinable | None, dt.date | None]):
    """A DateField that stores empty or garbage input as NULL instead of raising."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        return safe_date(value)

    def get_prep_value(self, value: Any) -> dt.date | None:
        return safe_date(value)


class SafeDateTimeField(models.DateTimeField[str | dt.datetime | dt.date | Combinable | None, dt.datetime | None]):
    """A DateTimeField that stores empty or garbage input as NULL instead of raising."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        return safe_datetime(value)

    def get_prep_value(self, value: Any) -> dt.datetime | None:
        return safe_datetime(value)
