"""`manage.py analyse_recordings [--identifier ID]`: measure downloaded recordings' quality now."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.exceptions import NotFound
from concerts import services
from concerts.audio_quality import AudioDecodeError
from concerts.models import Recording


class Command(BaseCommand):
    help = "Measures the verified downloaded audio of one recording (or every recording on disk) and ranks it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--identifier", default="", help="Only this recording.")

    def handle(self, *args: Any, identifier: str, **options: Any) -> None:
        identifiers = [identifier] if identifier else list(Recording.objects.values_list("identifier", flat=True))
        measured = failed = 0
        for ident in identifiers:
            if not identifier and not services.recording_files_on_disk(identifier=ident):
                continue
            try:
                card = services.recording_quality_measure(identifier=ident)
            except NotFound as exc:
                if identifier:
                    raise CommandError(f"{ident}: {exc}") from exc
                continue
            except AudioDecodeError as exc:
                failed += 1
                self.stderr.write(f"{ident}: {exc}")
                continue
            measured += 1
            self.stdout.write(f"{ident}: {'; '.join(card.reasons)}")
        self.stdout.write(f"{measured} recording(s) measured, {failed} failed.")
        if identifier and failed:
            raise CommandError("The recording could not be decoded.")
