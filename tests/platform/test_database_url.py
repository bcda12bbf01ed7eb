"""DATABASE_URL may name SQLite too: the pool options are PostgreSQL's only; SQLITE_PATH keeps working."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _databases(tmp_path: Path, **env: str) -> dict:
    code = ("import json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.local'); "
            "import django; django.setup(); from django.db import connection; connection.ensure_connection(); "
            "from django.conf import settings; d = settings.DATABASES['default']; "
            "print(json.dumps({'ENGINE': d['ENGINE'], 'NAME': str(d['NAME']), 'OPTIONS': d.get('OPTIONS', {})}))")
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SECRET_KEY": "x" * 50, **env}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_database_url_connects_without_pool_options(tmp_path):
    path = tmp_path / "via-url.sqlite3"
    db = _databases(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    assert db["ENGINE"].endswith("sqlite3") and db["NAME"] == str(path)
    assert "pool" not in db["OPTIONS"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"  # the same tuning as the embedded default
    assert path.exists()


def test_sqlite_path_still_works(tmp_path):
    path = tmp_path / "via-path.sqlite3"
    db = _databases(tmp_path, SQLITE_PATH=str(path))
    assert db["NAME"] == str(path) and path.exists()
