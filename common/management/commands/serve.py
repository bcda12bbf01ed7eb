"""Serves Stylus with uvicorn (ASGI: HTTP + WebSockets), printing the URL.

In embedded mode (no REDIS_URL) the lifespan startup also starts the in-process Celery worker
and beat, so it must be exactly one process.
"""
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the ASGI server (embedded worker included when REDIS_URL is unset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args: Any, host: str, port: int, workers: int, **options: Any) -> None:
        import uvicorn

        if settings.STYLUS_EMBEDDED and workers != 1:
            self.stderr.write("Embedded mode runs one process (the worker lives inside it); ignoring --workers.")
            workers = 1
        mode = "embedded (SQLite/in-process worker)" if settings.STYLUS_EMBEDDED else "production services"
        self.stdout.write(self.style.SUCCESS(f"Stylus is running at http://{host}:{port}/  [{mode}]"), ending="\n")
        self.stdout.flush()
        uvicorn.run("config.asgi:application", host=host, port=port, workers=workers, lifespan="on",
                    log_level="info", proxy_headers=True, ws="auto")
