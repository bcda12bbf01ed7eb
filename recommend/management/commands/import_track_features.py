"""manage.py import_track_features <csv> [--map field=column ...]: upsert tracks and dataset features."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.exceptions import InvalidInput
from recommend import services


class Command(BaseCommand):
    help = ("Import a CSV of Spotify track ids with audio features (the Kaggle/TidyTuesday format: track_id, "
            "track_name, artist_name, genre, year, danceability, energy, ..., tempo). Upserts by track id.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", help="Path to the CSV file.")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="Map one of our fields to a CSV column, e.g. --map track_id=id (repeatable).")
        parser.add_argument("--no-index", action="store_true", help="Do not add the tracks to the index.")

    def handle(self, *args, **options) -> None:
        mapping = {}
        for item in options["map"]:
            field, sep, column = item.partition("=")
            if not sep or not field or not column:
                raise CommandError(f"--map expects FIELD=COLUMN, got {item!r}")
            mapping[field.strip()] = column.strip()
        from tqdm import tqdm

        bar = tqdm(total=0, unit="rows", disable=options["verbosity"] == 0, file=self.stderr)

        def progress(done: int, total: int, message: str) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = services.track_features_import(path=options["csv"], mapping=mapping or None, progress=progress)
        except InvalidInput as exc:
            raise CommandError(exc.detail) from exc
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"Imported {result.summary()}."))
        for error in result.errors[:10]:
            self.stdout.write(f"  skipped {error}")
        if not options["no_index"] and result.track_ids:
            build = services.index_add_tracks(track_ids=result.track_ids, reason="import_track_features")
            if build is None:
                self.stdout.write("Another index build is running; the nightly rebuild will include these tracks.")
            else:
                self.stdout.write(f"Index v{build.version}: {build.index_type}, {build.size} vectors.")
