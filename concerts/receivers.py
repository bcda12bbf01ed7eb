"""Receivers of archive's signals: thin, they queue work after the commit that announced it."""
from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction


def on_recordings_stored(sender: Any, *, identifiers: list[str], **kwargs: Any) -> None:
    """New or refreshed item metadata: fill those recordings' track counts and setlists in the background."""
    from .services import recordings_enrich_later

    recordings_enrich_later(identifiers=[i for i in identifiers if isinstance(i, str)], skip_recent=True)


def on_download_verified(sender: Any, *, identifier: str, download_id: int | None = None, **kwargs: Any) -> None:
    """A verified file of a recording: measure its quality, and import its Essentia descriptors once a while."""
    from .services import recording_quality_queue
    from .tasks import recording_features_import_task

    def queue() -> None:
        recording_quality_queue(identifier=identifier)
        # every file of an item sends this; one descriptor import per recording per 10 minutes is plenty
        if cache.add(f"concerts:features:{identifier}", 1, 600):
            recording_features_import_task.delay(identifier)

    transaction.on_commit(queue)
