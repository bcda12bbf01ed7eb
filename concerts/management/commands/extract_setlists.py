"""`manage.py extract_setlists [--artist A] [--offline]`: every recording's setlist, every concert's agreed one."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from concerts import services
from integrations.internet_archive.types import ItemMetadata


class Command(BaseCommand):
    help = ("Extracts setlists from each recording's description, file titles and info file, and agrees each "
            "concert's. Idempotent: a re-run gives the same setlists.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--artist", default="", help="Only this artist.")
        parser.add_argument("--offline", action="store_true",
                            help="Use the stored descriptions and info files; fetch no metadata.")

    def handle(self, *args: Any, artist: str, offline: bool, **options: Any) -> None:
        fetch: Callable[[str], ItemMetadata] | None = None
        if not offline:
            from archive.services import archive_item_get

            def fetch(identifier: str) -> ItemMetadata:
                return archive_item_get(identifier=identifier)

        counts = services.setlists_extract(artist=artist, fetch=fetch)
        self.stdout.write(f"{counts['concerts']} concerts, {counts['recordings']} recordings, "
                          f"{counts['lines']} setlist lines; {counts['failed']} recordings unavailable.")
