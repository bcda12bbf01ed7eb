"""Activity records, achievements and the tracker profile."""
from __future__ import annotations

import logging
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from common.types import AuthUser
from tracks import achievements as catalogue
from tracks import selectors
from tracks.media import image_validate
from tracks.models import (
    BIO_MAX,
    Achievement,
    Activity,
    Pack,
    Song,
    TrackerProfile,
)

from .validation import _check_long_text, _clean_text

log = logging.getLogger(__name__)



def activity_record(*, user: AuthUser, verb: str, text: str, song: Song | None = None, pack: Pack | None = None) -> None:
    Activity.objects.create(user=user, verb=verb, text=text[:300], song=song, pack=pack)


def _evaluate(user: AuthUser) -> None:
    """Re-evaluates achievements inside the caller's transaction, so a rolled-back change awards nothing."""
    achievements_evaluate(user=user)


# -- achievements -------------------------------------------------------------------------------------------
def achievements_evaluate(*, user: AuthUser) -> list[catalogue.AchievementDef]:
    """Awards every achievement whose rule now holds and the user lacks; each exactly once."""
    have = set(Achievement.objects.filter(user=user).values_list("code", flat=True))
    if len(have) == len(catalogue.CATALOGUE):
        return []
    stats = selectors.tracker_stats(user=user)
    new = [a for a in catalogue.CATALOGUE if a.code not in have and a.rule(stats)]
    awarded = []
    for definition in new:
        _, created = Achievement.objects.get_or_create(user=user, code=definition.code,
                                                       defaults={"points": definition.points})
        if created:
            awarded.append(definition)
    if awarded:
        Activity.objects.create(user=user, verb="achievement",
                                text="Unlocked " + ", ".join(a.name for a in awarded)[:280])
    return awarded


def achievements_mark_seen(*, user: AuthUser) -> int:
    """Clears the "new achievement" notifications."""
    return Achievement.objects.filter(user=user, seen_at__isnull=True).update(seen_at=timezone.now())


# -- profile ------------------------------------------------------------------------------------------------
def profile_update(*, user: AuthUser, data: dict[str, Any], image: UploadedFile | None = None,
                   clear_image: bool = False) -> TrackerProfile:
    profile, _ = TrackerProfile.objects.get_or_create(user=user)
    if "display_name" in data:
        profile.display_name = _clean_text(data["display_name"], field="display_name", max_length=80)
    if "bio" in data:
        profile.bio = _check_long_text(data["bio"], field="bio", max_length=BIO_MAX)
    if "is_public" in data:
        profile.is_public = bool(data["is_public"])
    if image is not None:
        profile.image = image_validate(upload=image, field="image")
    elif clear_image:
        profile.image = ""
    profile.save()
    return profile
