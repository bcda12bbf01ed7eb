from django.apps import AppConfig


class DiggerConfig(AppConfig):
    name = "digger"
    verbose_name = "Digger"
