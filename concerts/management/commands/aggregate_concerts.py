"""`manage.py aggregate_concerts [--artist A] [--since YYYY-MM-DD]`: archive search -> concerts."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from concerts import services
from concerts.models import AggregationRun
from integrations.errors import IntegrationError


class Command(BaseCommand):
    help = "Aggregates the archive's etree items (scrape API) into concerts and ranked recordings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--artist", default="", help="Only this artist (the archive's creator).")
        parser.add_argument("--since", default="", help="Only items added since this date (YYYY-MM-DD).")
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many items.")

    def handle(self, *args, artist: str, since: str, limit: int | None, **options) -> None:
        try:
            since_date = dt.date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise CommandError("--since must be YYYY-MM-DD.") from exc
        bar = tqdm(unit=" items", desc="reading", file=self.stderr._out)
        seen = {"n": 0}

        def progress(n: int) -> None:
            bar.update(n - seen["n"])
            seen["n"] = n

        try:
            run = services.concerts_aggregate_from_archive(artist=artist, since=since_date, limit=limit,
                                                           on_progress=progress)
        except IntegrationError as exc:
            bar.close()
            raise CommandError(f"The archive failed: {exc}") from exc
        bar.update(run.items_seen - seen["n"])
        bar.close()
        if run.status != AggregationRun.Status.SUCCEEDED:
            raise CommandError(run.message or "Aggregation failed.")
        self.stdout.write(
            f"{run.items_seen} items: {run.concerts_created} concerts created, {run.concerts_updated} updated; "
            f"{run.recordings_created} recordings created, {run.recordings_updated} updated; "
            f"{run.items_undated} undated and {run.items_bad_date} with impossible dates skipped "
            f"({run.duration:.2f}s).")
        if run.message:
            self.stdout.write(run.message)
