from django.apps import AppConfig


class ConcertsConfig(AppConfig):
    name = "concerts"
    verbose_name = "Concerts"

    def ready(self) -> None:
        from archive.signals import download_verified, recordings_stored
        from common.selectors import (
            register_artist_links,
            register_demo,
            register_home_card,
            register_search,
            register_stats,
        )

        from . import demo, receivers, selectors

        register_stats("concerts", selectors.concerts_statistics)
        register_search("concerts", "Concerts", selectors.global_search)
        register_search("songs", "Songs", selectors.song_search)
        register_home_card("on_this_day", selectors.on_this_day_card)
        register_demo("concerts", demo)
        register_artist_links("concerts", selectors.concerts_for_artist)  # album pages link to an artist's concerts
        # archive tells concerts about new items and verified downloads; concerts never gets imported by archive
        recordings_stored.connect(receivers.on_recordings_stored, dispatch_uid="concerts.recordings_stored")
        download_verified.connect(receivers.on_download_verified, dispatch_uid="concerts.download_verified")
