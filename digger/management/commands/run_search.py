"""Runs one saved search synchronously and prints its run report."""
from django.core.management.base import BaseCommand, CommandError

from common.exceptions import Conflict
from digger import services
from digger.models import SavedSearch, SearchRun


class Command(BaseCommand):
    help = "Run one saved search now (synchronously) and print its run report."

    def add_arguments(self, parser):
        parser.add_argument("search_id", type=int)

    def handle(self, *args, search_id: int, **options):
        search = SavedSearch.objects.select_related("user").filter(pk=search_id).first()
        if search is None:
            raise CommandError(f"No saved search {search_id}.")
        try:
            run = services.search_run_now(search=search)
        except Conflict as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(services.run_report_text(run))
        if run.status == SearchRun.Status.FAILED:
            raise CommandError(f"Run {run.pk} failed.")
