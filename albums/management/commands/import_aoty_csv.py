"""`manage.py import_aoty_csv <path>`: load the top-albums CSV as a catalogue seed (albums stored unfetched)."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from albums import services
from common.exceptions import StylusError


class Command(BaseCommand):
    help = "Import AOTY's top user-rated albums CSV (id,title,artist,release_date,genres,user_score,rating_count,album_link)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        bar = tqdm(desc="import_aoty_csv", unit="row", file=self.stderr, disable=options["verbosity"] == 0)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            result = services.import_aoty_csv(path=path, on_progress=progress)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}")
        except StylusError as exc:
            raise CommandError(exc.detail)
        finally:
            bar.close()
        self.stdout.write(f"{result['created']} created, {result['updated']} updated, {result['skipped']} skipped "
                          f"of {result['rows']} rows")
