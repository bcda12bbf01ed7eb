from django.apps import AppConfig


class UsersAotyConfig(AppConfig):
    name = "users_aoty"
    verbose_name = "AOTY users"

    def ready(self) -> None:
        from common.selectors import register_demo, register_stats

        from . import demo
        from .models import AotyUser

        register_stats("aoty_users", lambda: {"profiles": AotyUser.objects.count(),
                                              "fetched": AotyUser.objects.filter(fetched_at__isnull=False).count()})
        register_demo("users_aoty", demo)
