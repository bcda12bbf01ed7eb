from django.urls import re_path

from .consumers import ProgressConsumer

websocket_urlpatterns = [
    re_path(r"^ws/progress/(?P<kind>[a-z_]+)/(?P<object_id>\d+)/$", ProgressConsumer.as_asgi()),
]
