from typing import Any

from django.apps import AppConfig


def _resume_in_embedded_worker() -> None:
    # The in-memory broker lost every queued task with the old process: pending downloads too.
    from . import services

    services.downloads_resume_orphaned(include_pending=True)


def _resume_on_worker_ready(**kwargs: Any) -> None:
    # A durable broker still holds pending downloads' tasks; only those a dead worker was moving are orphaned.
    from . import services

    services.downloads_resume_orphaned()


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from common.embedded import register_worker_startup
        from common.selectors import register_demo, register_home_card, register_realtime_group, register_search, register_stats

        from . import demo, selectors

        register_realtime_group("download", selectors.download_group_allowed, selectors.download_snapshot)
        register_stats("downloads", selectors.downloads_statistics)
        register_home_card("downloads", selectors.home_card)
        register_search("archive", "Recordings", selectors.global_search)
        register_demo("archive", demo)
        # Downloads left `downloading` by a process that died resume from their partial files at startup:
        # the embedded worker (common/embedded.py) and the production worker (Celery's worker_ready).
        register_worker_startup(_resume_in_embedded_worker)
        worker_ready.connect(_resume_on_worker_ready, weak=False, dispatch_uid="archive.resume_orphaned_downloads")
