"""The downloads WebSocket: a logged-in user receives live progress of their own downloads only."""
from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import selectors


def user_group(user_id: int) -> str:
    return f"downloads.user.{user_id}"


class DownloadsConsumer(AsyncWebsocketConsumer):
    """Joins `downloads.user.<id>` for the user authenticated in scope; anonymous sockets are refused.

    The group name comes from the session, never from the URL, so no one can listen to another
    user's downloads. It never calls external services.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # the current state, so a socket that joins late never shows a stale bar
        html = await database_sync_to_async(selectors.downloads_snapshot_for_user)(user=user)
        if html:
            await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Clients have nothing to say; incoming messages are ignored."""

    async def push_html(self, event: dict) -> None:
        await self.send(text_data=event["html"])
