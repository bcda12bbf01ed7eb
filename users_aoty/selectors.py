"""Reads for AOTY user profiles."""
from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet

from .models import AotyUser, AotyUserFavorite, AotyUserRating

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 560, 180, 22


def aoty_user_detail(*, username: str) -> AotyUser | None:
    return (AotyUser.objects.filter(username=username.lower())
            .prefetch_related(Prefetch("favorites", queryset=AotyUserFavorite.objects.select_related("album")),
                              Prefetch("ratings", queryset=AotyUserRating.objects.select_related("album")))
            .first())


def aoty_user_stored(*, username: str) -> bool:
    """Whether the profile is stored; `username` as services.username_normalize() gives it."""
    return AotyUser.objects.filter(username=username).exists()


def aoty_user_list(*, limit: int = 50) -> QuerySet[AotyUser]:
    return AotyUser.objects.order_by("-view_count", "username")[:limit]


def _bucket_floor(label: str) -> int:
    match = re.match(r"\d+", label)
    return int(match.group(0)) if match else -1


def rating_distribution_chart(*, distribution: dict[str, int]) -> dict:
    """Bars for the server-rendered SVG chart, lowest bucket on the left."""
    items = sorted(distribution.items(), key=lambda kv: _bucket_floor(kv[0]))
    if not items:
        return {"bars": [], "width": CHART_WIDTH, "height": CHART_HEIGHT}
    top = max(count for _, count in items) or 1
    slot = CHART_WIDTH / len(items)
    inner = CHART_HEIGHT - 2 * CHART_PAD
    bars = []
    for i, (label, count) in enumerate(items):
        height = round(inner * count / top, 1)
        bars.append({"label": label, "count": count, "x": round(i * slot + 4, 1), "width": round(slot - 8, 1),
                     "y": round(CHART_PAD + inner - height, 1), "height": height,
                     "label_x": round(i * slot + slot / 2, 1), "count_y": round(CHART_PAD + inner - height - 4, 1)})
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT, "label_y": CHART_HEIGHT - 6}
