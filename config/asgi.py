"""ASGI entry point: HTTP through Django, WebSockets through Channels, lifespan for the embedded worker."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup(set_prefix=False)  # what django.core.asgi.get_asgi_application() does, with our handler below

from common.asgi import SyncChainASGIHandler  # noqa: E402

django_asgi = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from common.consumers import SameOriginValidator  # noqa: E402
from common.embedded import LifespanApp  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = LifespanApp(
    ProtocolTypeRouter(
        {
            "http": django_asgi,
            "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
