"""manage.py tracks_store_covers: queue the cover store for songs and album series whose Spotify cover is not stored."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from tracks import services


class Command(BaseCommand):
    help = "Queue a task to store each song's and album series' Spotify cover that is not stored yet."

    def handle(self, *args, **options) -> None:
        queued = services.covers_queue_missing()
        self.stdout.write(f"Queued {queued} cover(s).")
