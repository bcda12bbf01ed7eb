"""Recomputes the fair-price bands (P25/P50/P75 per release and media grade) and prints what it stored."""
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from digger import services


class Command(BaseCommand):
    help = "Recompute the digger's fair-price bands from price history and Discogs price suggestions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--release", type=int, action="append", dest="releases",
                            help="Only this Discogs release (repeatable).")

    def handle(self, *args: Any, releases: list[int] | None = None, **options: Any) -> None:
        result = services.price_bands_compute(release_ids=releases)
        self.stdout.write(f"{result['bands']} bands from {result['points']} prices "
                          f"({result['regression']} by quantile regression, the rest plain quantiles; "
                          f"{result['removed']} old bands replaced).")
