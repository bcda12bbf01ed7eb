from django.apps import AppConfig


class ConcertsConfig(AppConfig):
    name = "concerts"
    verbose_name = "Concerts"

    def ready(self) -> None:
        from common.selectors import register_stats

        from . import selectors

        register_stats("concerts", selectors.concerts_statistics)
