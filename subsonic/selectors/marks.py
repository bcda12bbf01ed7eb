"""The user's marks on library items (stars and ratings), as `starred` and `userRating` on any item."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from common.types import AuthUser

from ..models import Rating, Star
from .base import iso_time


@dataclass
class Marks:
    starred: dict[str, dt.datetime]
    ratings: dict[str, int]

    def apply(self, item: dict[str, Any]) -> dict[str, Any]:
        item_id = item["id"]
        if item_id in self.starred:
            item["starred"] = iso_time(self.starred[item_id])
        if item_id in self.ratings:
            item["userRating"] = self.ratings[item_id]
        return item


def marks_for(*, user: AuthUser, item_ids: Iterable[str]) -> Marks:
    """The user's stars and ratings among these items. A few ids are looked up; a long list (a whole artist
    index) reads all of the user's marks instead of sending hundreds of ids to the database."""
    wanted = set(item_ids)
    if not wanted:
        return Marks({}, {})
    starred_all, rated_all = user_marks(user=user)
    return Marks({k: v for k, v in starred_all.items() if k in wanted},
                 {k: v for k, v in rated_all.items() if k in wanted})


MARKS_KEY = "subsonic:marks:{}"


# A client browsing sends several list requests a second, each needing the marks: besides the shared cache,
# each process keeps them for MARKS_LOCAL_SECONDS, saving a round trip per request. This process's own
# changes show at once (marks_forget drops both); one made through another process within that time.
MARKS_LOCAL_SECONDS = 2.0
_local: dict[int, tuple[float, tuple[dict[str, dt.datetime], dict[str, int]]]] = {}


def user_marks(*, user: AuthUser) -> tuple[dict[str, dt.datetime], dict[str, int]]:
    """All the user's stars and ratings, from the cache: every list answer needs them, and they change only
    through subsonic.services, which drops the entry (marks_forget)."""
    hit = _local.get(user.pk)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    key = MARKS_KEY.format(user.pk)
    marks = cache.get(key)
    if marks is None:
        marks = (dict(Star.objects.filter(user=user).values_list("item_id", "starred_at")),
                 dict(Rating.objects.filter(user=user).values_list("item_id", "rating")))
        cache.set(key, marks, 600)
    if len(_local) > 10_000:  # bounded: drop everything rather than grow without limit
        _local.clear()
    _local[user.pk] = (time.monotonic() + MARKS_LOCAL_SECONDS, marks)
    return marks


def marks_forget(*, user: AuthUser) -> None:
    _local.pop(user.pk, None)
    cache.delete(MARKS_KEY.format(user.pk))


def marked(user: AuthUser, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    marks = marks_for(user=user, item_ids=[i["id"] for i in items])
    return [marks.apply(i) for i in items]
