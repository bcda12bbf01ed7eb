"""Re-encrypts every stored digger credential with the first FIELD_ENCRYPTION_KEYS key.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run this,
then drop the old keys once it reports nothing left to rotate.
"""
from django.core.management.base import BaseCommand

from digger import services


class Command(BaseCommand):
    help = "Re-encrypt stored Discogs/eBay credentials with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        result = services.credentials_rotate()
        self.stdout.write(
            f"Rotated {result['rotated']} secret(s) across {result['profiles']} profile(s); "
            f"{result['undecryptable']} could not be decrypted with any key (users must re-enter them)."
        )
