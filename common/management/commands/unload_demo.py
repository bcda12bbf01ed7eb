"""Removes the made-up demo content that load_demo created, section by section, leaving real data alone.

Each registered demo section removes only the rows it marked as demo (its `unload(stdout=)`); the demo
users stay unless --users is given. Idempotent: a second run removes nothing.
"""
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from common.selectors import demo_sections

from .load_demo import DEMO_USER, STAFF_USER


class Command(BaseCommand):
    help = "Remove the demo content load_demo created (idempotent); real data is never touched."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", action="store_true", help="Also delete the demo and demo-staff accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        for app, module in reversed(list(demo_sections().items())):
            unload: Callable[..., None] | None = getattr(module, "unload", None)
            if unload is None:
                continue
            self.stdout.write(f"Removing demo content for {app}…")
            unload(stdout=self.stdout)
        if options["users"]:
            deleted, _ = get_user_model().objects.filter(username__in=[DEMO_USER, STAFF_USER]).delete()
            self.stdout.write(f"Removed the demo accounts ({deleted} rows).")
        self.stdout.write(self.style.SUCCESS("Demo content removed."))
