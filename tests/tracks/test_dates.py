"""The forgiving date parser and the date field that stores garbage as null."""
from __future__ import annotations

import datetime as dt

import pytest

from tracks.fields import safe_date, safe_datetime
from tracks.models import Song

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value, expected", [
    ("2024-03-01", dt.date(2024, 3, 1)), ("2024-03-01T10:00:00Z", dt.date(2024, 3, 1)), ("", None), ("  ", None),
    ("TBD", None), ("2024-13-01", None), ("2024-02-30", None), (None, None), (20240301, None),
    (dt.datetime(2024, 3, 1, 5, tzinfo=dt.UTC), dt.date(2024, 3, 1)),
])
def test_safe_date_forgives_bad_input(value, expected):
    assert safe_date(value) == expected


def test_safe_datetime_is_aware_or_none():
    assert safe_datetime("2024-03-01T10:00:00") == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert safe_datetime("2024-03-01") == dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert safe_datetime("yesterday") is None and safe_datetime("") is None


def test_model_field_stores_garbage_date_as_null(owner):
    song = Song.objects.create(owner=owner, title="T", artist="A", release_date="")
    song.refresh_from_db()
    assert song.release_date is None

    Song.objects.filter(pk=song.pk).update(release_date="not-a-date")
    song.refresh_from_db()
    assert song.release_date is None
