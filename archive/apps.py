from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from common.selectors import register_demo, register_home_card, register_realtime_group, register_search, register_stats

        from . import demo, selectors

        register_realtime_group("download", selectors.download_group_allowed, selectors.download_snapshot)
        register_stats("downloads", selectors.downloads_statistics)
        register_home_card("downloads", selectors.home_card)
        register_search("archive", "Recordings", selectors.global_search)
        register_demo("archive", demo)
