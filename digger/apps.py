from django.apps import AppConfig


class DiggerConfig(AppConfig):
    name = "digger"
    verbose_name = "Digger"

    def ready(self) -> None:
        from common.selectors import register_demo, register_home_card, register_realtime_group, register_search, register_stats

        from . import demo, selectors
        from .models import SavedSearch

        register_realtime_group(
            "diggersearch", lambda *, user, object_id: SavedSearch.objects.filter(pk=object_id, user=user).exists()
        )
        register_home_card("digger", selectors.home_card)
        register_stats("digger", selectors.stats)
        register_search("digger", "My saved searches", selectors.global_search)
        register_demo("digger", demo)
