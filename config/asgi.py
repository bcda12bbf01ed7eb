"""ASGI entry point: HTTP through Django, WebSockets through Channels, lifespan for the embedded worker."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from common.embedded import LifespanApp  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = LifespanApp(
    ProtocolTypeRouter(
        {
            "http": django_asgi,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
