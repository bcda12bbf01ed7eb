from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from integrations import http

        from .metrics import metrics

        # integrations imports nothing of ours: its request timings reach the metrics through this hook.
        http.set_timing_hook(metrics.record_timing)
        # Pillow refuses (DecompressionBombError) images over twice this many pixels; a small file can
        # claim a huge canvas, and decoding it would take gigabytes. Mapped to 400 in common.api and
        # common.middleware.
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS // 2
