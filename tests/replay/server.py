"""A local HTTP server that replays recorded responses, records requests, and injects faults.

Routes match on method, path and (a subset of) the query string. A route answers from a file
(with HTTP Range support), a body, or JSON, and may carry a fault: "429" (with Retry-After),
"500"/"502"/"503", "slow" (body trickled out), "timeout" (never answers in time) or "drop"
(headers and half the body, then the connection closes). `times=N` makes a route answer N times,
after which the next matching route answers: queue a 429 before a 200 to test a retry.
`request_headers` makes a route answer only requests carrying those headers (names case-insensitive),
e.g. {"Sec-Fetch-Mode": "navigate"} for a browser's page loads but not its request API.
"""
from __future__ import annotations

import json
import mimetypes
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass
class Route:
    method: str
    path: str
    query: dict[str, str] | None = None
    status: int = 200
    body: bytes | None = None
    file: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    retry_after: int = 1
    delay: float = 0.0
    times: int | None = None
    served: int = 0
    request_headers: dict[str, str] | None = None

    def matches(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str] | None = None) -> bool:
        if self.method != method or self.path != path:
            return False
        if self.times is not None and self.served >= self.times:
            return False
        if self.request_headers:
            sent = {k.lower(): v for k, v in (headers or {}).items()}
            if any(sent.get(k.lower()) != v for k, v in self.request_headers.items()):
                return False
        if self.query is None:
            return True
        return all(query.get(k, [None])[0] == str(v) for k, v in self.query.items())


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def param(self, name: str) -> str | None:
        return self.query.get(name, [None])[0]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                server._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    # -- routes --------------------------------------------------------------------------------
    def add(self, path: str, *, method: str = "GET", query: dict | None = None, status: int = 200,
            body: bytes | str | None = None, json_body: Any = None, file: str | Path | None = None,
            headers: dict[str, str] | None = None, fault: str | None = None, retry_after: int = 1,
            delay: float = 0.0, times: int | None = None, content_type: str | None = None,
            request_headers: dict[str, str] | None = None) -> Route:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if file is not None:
            file = Path(file)
            guessed = mimetypes.guess_type(file.name)[0]
            hdrs.setdefault("Content-Type", content_type or guessed or "application/octet-stream")
        elif content_type:
            hdrs.setdefault("Content-Type", content_type)
        route = Route(method=method.upper(), path=path, query=query, status=status, body=body, file=file,
                      headers=hdrs, fault=fault, retry_after=retry_after, delay=delay, times=times,
                      request_headers=request_headers)
        with self._lock:
            self.routes.append(route)
        return route

    def load_manifest(self, folder: str | Path) -> None:
        """Loads routes from `<folder>/manifest.json`: a list of {path, file|body|json, method?, query?, status?, headers?}."""
        folder = Path(folder)
        for entry in json.loads((folder / "manifest.json").read_text()):
            entry = dict(entry)
            if "file" in entry:
                entry["file"] = folder / entry["file"]
            if "json" in entry:
                entry["json_body"] = entry.pop("json")
            self.add(entry.pop("path"), **entry)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    # -- serving -------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append(RecordedRequest(handler.command, parts.path, query, dict(handler.headers.items()), body, time.time()))
            sent = dict(handler.headers.items())
            route = next((r for r in self.routes if r.matches(handler.command, parts.path, query, sent)), None)
            if route is not None:
                route.served += 1
        if route is None:
            return self._send(handler, 404, b'{"error": "no recorded response"}', {"Content-Type": "application/json"})
        if route.delay:
            time.sleep(route.delay)
        fault = route.fault
        if fault == "429":
            return self._send(handler, 429, b'{"message": "Too Many Requests"}',
                              {"Retry-After": str(route.retry_after), "Content-Type": "application/json"})
        if fault in ("500", "502", "503"):
            return self._send(handler, int(fault), b"upstream error", {"Content-Type": "text/plain"})
        if fault == "timeout":
            time.sleep(30)
            return None
        data = route.file.read_bytes() if route.file is not None else (route.body or b"")
        headers = dict(route.headers)
        status = route.status
        if route.file is not None and handler.headers.get("Range") and status == 200:
            match = _RANGE.match(handler.headers["Range"].strip())
            if match:
                start_s, end_s = match.groups()
                size = len(data)
                start = int(start_s) if start_s else max(0, size - int(end_s or 0))
                end = int(end_s) if (end_s and start_s) else size - 1
                if start >= size:
                    return self._send(handler, 416, b"", {"Content-Range": f"bytes */{size}"})
                end = min(end, size - 1)
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                data, status = data[start:end + 1], 206
        if route.file is not None:
            headers.setdefault("Accept-Ranges", "bytes")
        if fault == "drop":
            handler.send_response(status)
            for k, v in headers.items():
                handler.send_header(k, v)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(data[: len(data) // 2])
                handler.wfile.flush()
            handler.close_connection = True
            try:
                handler.connection.shutdown(2)
            except OSError:
                pass
            return None
        if fault == "slow":
            return self._send(handler, status, data, headers, trickle=True)
        return self._send(handler, status, data, headers)

    @staticmethod
    def _send(handler, status: int, data: bytes, headers: dict[str, str], trickle: bool = False) -> None:
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        try:
            if trickle:
                step = max(1, len(data) // 20)
                for i in range(0, len(data), step):
                    handler.wfile.write(data[i:i + step])
                    handler.wfile.flush()
                    time.sleep(0.05)
            else:
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
