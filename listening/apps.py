from django.apps import AppConfig
from django.db.models.signals import post_migrate

RETRY_TASK_NAME = "listening: resend unsent scrobbles"


def ensure_periodic_tasks(sender=None, **kwargs) -> None:
    """The periodic resend of unsent scrobbles in django-celery-beat (idempotent, so production gets it too)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(every=15, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        name=RETRY_TASK_NAME, defaults={"interval": schedule, "task": "listening.tasks.scrobbles_resend_task"},
    )


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from common.selectors import register_demo, register_home_card, register_stats

        from . import demo, selectors

        register_home_card("listening", selectors.home_card)
        register_stats("listening", selectors.statistics)
        register_demo("listening", demo)
        post_migrate.connect(ensure_periodic_tasks, sender=self, dispatch_uid="listening.periodic_tasks")
