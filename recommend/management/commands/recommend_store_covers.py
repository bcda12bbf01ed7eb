"""manage.py recommend_store_covers: queue the cover store for albums whose Spotify cover is not stored yet."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from recommend import services


class Command(BaseCommand):
    help = "Queue a task to store each recommend album's Spotify cover that is not stored yet (one request per image)."

    def handle(self, *args, **options) -> None:
        queued = services.album_covers_queue_missing()
        self.stdout.write(f"Queued {queued} album cover(s).")
