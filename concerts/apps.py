from django.apps import AppConfig


class ConcertsConfig(AppConfig):
    name = "concerts"
    verbose_name = "Concerts"
