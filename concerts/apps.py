from django.apps import AppConfig


class ConcertsConfig(AppConfig):
    name = "concerts"
    verbose_name = "Concerts"

    def ready(self) -> None:
        from common.selectors import register_demo, register_search, register_stats

        from . import demo, selectors

        register_stats("concerts", selectors.concerts_statistics)
        register_search("concerts", "Concerts", selectors.global_search)
        register_demo("concerts", demo)
