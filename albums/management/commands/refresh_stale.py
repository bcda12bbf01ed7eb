"""`manage.py refresh_stale [--limit N]`: re-scrape the most-viewed albums past their TTL."""
from django.core.management.base import BaseCommand
from tqdm import tqdm

from albums import services


class Command(BaseCommand):
    help = "Refresh the most-viewed stale albums now (the periodic task does this hourly)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, limit=None, **options):
        bar = tqdm(desc="refresh_stale", unit="album", file=self.stderr, disable=options["verbosity"] == 0)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = services.refresh_stale(limit=limit, on_progress=progress)
        finally:
            bar.close()
        self.stdout.write(f"{result['refreshed']} refreshed, {result['failed']} failed, of {result['candidates']} stale albums")
