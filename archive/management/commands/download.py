"""`manage.py download <identifier> [--format F] [--file NAME] [--user U]`: a synchronous, verified download."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive import services
from archive.models import Download
from common.exceptions import StylusError


class Command(BaseCommand):
    help = "Downloads an Internet Archive item's file (--file) or format (--format, default VBR MP3) into MEDIA_ROOT."

    def add_arguments(self, parser) -> None:
        parser.add_argument("identifier")
        parser.add_argument("--format", default="", help='Archive format name ("VBR MP3", "Flac") or alias (mp3, flac, ogg).')
        parser.add_argument("--file", default="", help="One file name from the item's file list.")
        parser.add_argument("--user", default="", help="Username that owns the downloads (default: first superuser).")

    def _user(self, username: str):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
            return user
        user = User.objects.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            user, created = User.objects.get_or_create(username="archive-cli")
            if created:
                user.set_unusable_password()
                user.save()
        return user

    def handle(self, *args, identifier: str, format: str, file: str, user: str, **options) -> None:
        owner = self._user(user)
        if file and format:
            raise CommandError("Give --file or --format, not both.")
        try:
            downloads, _ = services.download_request(user=owner, identifier=identifier, file=file,
                                                     format=format or ("" if file else "mp3"), enqueue=False)
        except StylusError as exc:
            raise CommandError(exc.detail) from exc
        failed = 0
        for download in downloads:
            if download.status == Download.Status.COMPLETED:
                self.stdout.write(f"already downloaded: {download.file_name}")
                continue
            bar = tqdm(total=download.bytes_total or None, unit="B", unit_scale=True, desc=download.file_name[-40:],
                       file=self.stderr._out, leave=True)
            seen = {"done": 0}

            def progress(d: Download, bar=bar, seen=seen) -> None:
                bar.update(max(0, d.bytes_done - seen["done"]))
                seen["done"] = d.bytes_done

            status = services.download_run(download_id=download.pk, on_progress=progress)
            bar.close()
            download.refresh_from_db()
            if download.status == Download.Status.COMPLETED:
                self.stdout.write(f"ok {download.file_name} -> {download.absolute_path} (md5 verified)")
            else:
                failed += 1
                self.stderr.write(f"FAILED {download.file_name}: {download.error or status}")
        if failed:
            raise CommandError(f"{failed} of {len(downloads)} file(s) failed.")
        self.stdout.write(self.style.SUCCESS(f"{len(downloads)} file(s) in the library."))
