from django.urls import re_path

from .consumers import DownloadsConsumer

websocket_urlpatterns = [
    re_path(r"^ws/downloads/$", DownloadsConsumer.as_asgi()),
]
