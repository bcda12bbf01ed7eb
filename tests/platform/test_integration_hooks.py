"""integrations imports nothing of ours: request timings reach the metrics through a hook common installs."""
from __future__ import annotations

import ast
from pathlib import Path

from common.metrics import metrics
from integrations.http import HttpClient

INTEGRATIONS = Path(__file__).resolve().parents[2] / "integrations"
OURS = {"common", "accounts", "config", "albums", "users_aoty", "tracks", "recommend", "digger", "archive", "concerts"}


def test_http_layer_imports_nothing_of_ours():
    for name in ("http.py", "errors.py"):
        tree = ast.parse((INTEGRATIONS / name).read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
        assert not imported & OURS, (name, imported & OURS)


def test_request_timings_reach_the_metrics_through_the_hook(replay):
    replay.add("/ping", json_body={"ok": True})
    metrics.reset()
    client = HttpClient(service="hooktest", base_url=replay.url)
    assert client.get_json("/ping") == {"ok": True}
    assert metrics.snapshot()["timings"]["hooktest.http"]["count"] == 1
