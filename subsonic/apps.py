from django.apps import AppConfig


class SubsonicConfig(AppConfig):
    name = "subsonic"
    verbose_name = "Subsonic"

    def ready(self) -> None:
        from common.selectors import register_demo

        from . import demo

        register_demo("subsonic", demo)
