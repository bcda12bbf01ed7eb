"""WebSocket routes: common's progress consumer plus each app's `routing.websocket_urlpatterns`."""
from importlib import import_module

from django.conf import settings

websocket_urlpatterns = []
_OURS = ["common", "accounts", "albums", "users_aoty", "tracks", "recommend", "digger", "archive", "concerts"]
for _app in [a for a in _OURS if a in settings.INSTALLED_APPS]:
    try:
        _module = import_module(f"{_app}.routing")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.routing":
            raise
        continue
    websocket_urlpatterns += _module.websocket_urlpatterns
