from django.apps import AppConfig


class TracksConfig(AppConfig):
    name = "tracks"
    verbose_name = "Tracks"

    def ready(self) -> None:
        from common.selectors import register_demo, register_home_card, register_search, register_stats

        from . import demo, selectors

        register_home_card("song_progress", selectors.home_card)
        register_stats("tracks", selectors.staff_stats)
        register_search("tracks", "My songs", selectors.global_search)
        register_demo("tracks", demo)
