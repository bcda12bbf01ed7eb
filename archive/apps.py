from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from common.selectors import register_home_card, register_realtime_group, register_stats

        from . import selectors

        register_realtime_group("download", selectors.download_group_allowed, selectors.download_snapshot)
        register_stats("downloads", selectors.downloads_statistics)
        register_home_card("downloads", selectors.home_card)
