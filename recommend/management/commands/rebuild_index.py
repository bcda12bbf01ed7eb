"""manage.py rebuild_index: rebuild the FAISS index from the database, synchronously, with a progress bar."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from recommend import services
from recommend.models import IndexBuild


class Command(BaseCommand):
    help = "Rebuild the recommendation index from the stored feature vectors and swap it in atomically."

    def handle(self, *args, **options) -> None:
        from tqdm import tqdm

        bar = tqdm(total=1, unit="vec", disable=options["verbosity"] == 0, file=self.stderr)

        def progress(done: int, total: int, message: str) -> None:
            bar.total = total
            bar.n = done
            bar.set_description(message)
            bar.refresh()

        try:
            build = services.index_rebuild(reason="rebuild_index command", progress=progress)
        finally:
            bar.close()
        if build.status == IndexBuild.Status.SKIPPED:
            raise CommandError("Another index build is running; try again when it has finished.")
        recall = f", recall@10 {build.recall_at_10:.3f} at nprobe {build.nprobe}" if build.nprobe else ""
        self.stdout.write(self.style.SUCCESS(
            f"Built index v{build.version}: {build.index_type} with {build.size} vectors in "
            f"{build.build_seconds:.2f}s{recall}."))
