from django.apps import AppConfig
from django.db.models.signals import post_migrate

REFRESH_TASK_NAME = "albums: refresh most-viewed stale albums"


def ensure_periodic_tasks(sender: object = None, **kwargs: object) -> None:
    """Creates the hourly stale-album refresh in django-celery-beat (idempotent, so production gets it too)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.get_or_create(
        name=REFRESH_TASK_NAME,
        defaults={"interval": schedule, "task": "albums.tasks.refresh_stale_albums_task"},
    )


class AlbumsConfig(AppConfig):
    name = "albums"
    verbose_name = "Albums"

    def ready(self) -> None:
        from common.metrics import metrics
        from common.selectors import register_demo, register_home_card, register_search, register_stats
        from integrations.aoty import hooks

        from . import demo, selectors

        # integrations/aoty imports nothing of ours: its fetch and browser timings reach the metrics here.
        hooks.set_timing_hook(lambda name, duration, ok: metrics.record_timing(name=name, duration=duration, ok=ok))

        register_home_card("albums", selectors.home_card)
        register_stats("albums", selectors.statistics)
        post_migrate.connect(ensure_periodic_tasks, sender=self, dispatch_uid="albums.periodic_tasks")
        register_search("albums", "Albums & artists", selectors.global_search)
        register_demo("albums", demo)
