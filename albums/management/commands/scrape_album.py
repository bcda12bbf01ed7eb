"""`manage.py scrape_album <url-or-id>`: fetch, parse and store one album page; prints the stored id last."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from albums import services
from common.exceptions import StylusError
from integrations.errors import IntegrationError


class Command(BaseCommand):
    help = "Fetch, parse and store one AOTY album page (similar albums are stored as linked, unfetched albums)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="Absolute AOTY album URL (…/album/<id>-<slug>.php) or an AOTY album id")

    def handle(self, *args, url: str, **options):
        bar = tqdm(total=2, desc="scrape_album", unit="step", file=self.stderr, disable=options["verbosity"] == 0)
        try:
            bar.set_postfix_str("fetching")
            album = services.album_scrape_url(url=url)
            bar.update(2)
        except StylusError as exc:
            raise CommandError(exc.detail)
        except IntegrationError as exc:
            raise CommandError(f"{exc.__class__.__name__}: {exc}")
        finally:
            bar.close()
        self.stdout.write(f"{album} — {album.tracks.count()} tracks, {album.critic_reviews.count()} critic reviews, "
                          f"{album.similar_links.count()} similar albums")
        self.stdout.write(str(album.pk))
