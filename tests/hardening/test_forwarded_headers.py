"""Forwarded headers are believed only from FORWARDED_ALLOW_IPS: a made-up X-Forwarded-For buys no budget."""
from __future__ import annotations

import importlib
import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _server_config(monkeypatch, allow: str | None):
    if allow is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", allow)
    from config import gunicorn

    return importlib.reload(gunicorn)


def test_server_trusts_only_loopback_by_default(monkeypatch):
    assert _server_config(monkeypatch, None).forwarded_allow_ips == "127.0.0.1"
    assert _server_config(monkeypatch, "10.0.0.5,10.0.0.6").forwarded_allow_ips == "10.0.0.5,10.0.0.6"


def test_shipped_server_commands_never_trust_every_address():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "config/gunicorn.py" in dockerfile
    assert not re.search(r"forwarded.allow.ips\W+\*", dockerfile, flags=re.I)
    compose = (ROOT / "docker-compose.yml").read_text()
    published = re.findall(r"ports:\s*\[([^\]]*)\]", compose)
    assert published and all(p.strip().strip("\"'").startswith("127.0.0.1:") for ports in published for p in ports.split(","))


@pytest.fixture
def proxied_server(transactional_db, settings, monkeypatch, _end_server_thread_sessions):
    """uvicorn configured as the image runs it (config/gunicorn.py), with this test's client (127.0.0.1) not
    among the trusted proxies: the untrusted peer of a real deployment."""
    import uvicorn

    from config.settings import base
    from tests.conftest import _free_port

    cfg = _server_config(monkeypatch, "10.0.0.5")
    settings.ALLOWED_HOSTS = ["*"]
    settings.ACCOUNT_RATE_LIMITS = base.ACCOUNT_RATE_LIMITS
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config("config.asgi:application", host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", proxy_headers=True,
                                           forwarded_allow_ips=cfg.forwarded_allow_ips))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_forged_forwarded_for_from_an_untrusted_peer_buys_no_fresh_budget(proxied_server):
    statuses = []
    with httpx.Client(base_url=proxied_server, timeout=10) as client:
        for i in range(40):
            response = client.post("/api/v1/auth/token", content=json.dumps({"username": f"guess{i}", "password": "x"}),
                                   headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{i + 1}"})
            statuses.append(response.status_code)
    assert 429 in statuses[:31], statuses  # refused before the 32nd attempt
    assert set(statuses) <= {401, 429}
