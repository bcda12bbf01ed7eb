from django.apps import AppConfig


class UsersAotyConfig(AppConfig):
    name = "users_aoty"
    verbose_name = "AOTY users"
