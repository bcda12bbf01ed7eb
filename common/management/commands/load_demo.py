"""Loads the offline demo content: users, then each section's own `<app>/demo.py` (registered in its AppConfig).

Idempotent: running it twice leaves the same data. Never touches the network.
"""
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from common.selectors import demo_sections

DEMO_USER, DEMO_PASSWORD = "demo", "stylus-demo-2026"
STAFF_USER, STAFF_PASSWORD = "admin", "stylus-admin-2026"


class Command(BaseCommand):
    help = "Load demo content so every section of the site has something to show (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        with transaction.atomic():
            demo, created = User.objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@stylus.local"})
            if created:
                demo.set_password(DEMO_PASSWORD)
                demo.save()
            staff, created = User.objects.get_or_create(
                username=STAFF_USER, defaults={"email": "admin@stylus.local", "is_staff": True, "is_superuser": True}
            )
            if created:
                staff.set_password(STAFF_PASSWORD)
                staff.save()
        for app, module in demo_sections().items():
            self.stdout.write(f"Loading demo content for {app}…")
            module.load(user=demo, staff=staff, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo content ready. Log in as {DEMO_USER} / {DEMO_PASSWORD} (staff: {STAFF_USER} / {STAFF_PASSWORD})."
        ))
