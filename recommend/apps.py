from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule(sender, **kwargs) -> None:
    from .services import schedule_nightly_rebuild

    schedule_nightly_rebuild()


class RecommendConfig(AppConfig):
    name = "recommend"
    verbose_name = "Recommend"

    def ready(self) -> None:
        from common.selectors import register_demo, register_home_card, register_search, register_stats

        from . import demo, selectors

        register_home_card("recommend", selectors.home_card)
        register_stats("recommend", selectors.stats)
        # the nightly rebuild's beat row, created idempotently so production gets it too
        post_migrate.connect(_schedule, sender=self, dispatch_uid="recommend.schedule_nightly_rebuild")
        register_search("recommend", "Tracks", selectors.global_search)
        register_demo("recommend", demo)
