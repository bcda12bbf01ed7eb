"""The one progress consumer: a browser joins `<kind>.<id>` only if that object is its own."""
from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import selectors


class ProgressConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        kwargs = self.scope["url_route"]["kwargs"]
        kind, object_id = kwargs["kind"], kwargs["object_id"]
        allowed = bool(user and user.is_authenticated) and await database_sync_to_async(selectors.realtime_group_allowed)(
            user=user, kind=kind, object_id=object_id
        )
        if not allowed:
            await self.close(code=4403)
            return
        self.group = f"{kind}.{object_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        html = await database_sync_to_async(selectors.realtime_group_snapshot)(kind=kind, object_id=object_id)
        if html:
            await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def push_html(self, event: dict) -> None:
        await self.send(text_data=event["html"])
