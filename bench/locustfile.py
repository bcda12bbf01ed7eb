"""Load scenario for bench/bench_load.py: listeners browsing albums, concerts, songs and
recommendations. Anonymous browsers and logged-in users (session for pages, token for the API)."""
from __future__ import annotations

import os
import random
import re

from gevent.lock import BoundedSemaphore
from locust import HttpUser, between, task

TOKEN = os.environ.get("LOAD_TOKEN", "")
SEED = os.environ.get("LOAD_SEED", "spotify:playlist:0DemoPlaylistStylus001")
_ids: dict[str, list[str]] = {}
# Every Listener signs in to the one demo account. allauth takes from the account's failed-login budget (5 per
# 5 minutes) before it checks a password and gives it back on success, so more than five sign-ins to one account
# in flight at once are refused with 429 however right the password. People do not sign in to one account from 20
# places in the same second: two at a time here.
_signing_in = BoundedSemaphore(2)


def _harvest(user: HttpUser, path: str, pattern: str, key: str) -> list[str]:
    if key not in _ids:
        html = user.client.get(path, name=path).text
        _ids[key] = sorted(set(re.findall(pattern, html))) or ["1"]
    return _ids[key]


class Browser(HttpUser):
    """Anonymous: album discovery and pages, concerts, the recommend page."""

    weight = 3
    wait_time = between(0.5, 2)

    @task(3)
    def albums(self):
        self.client.get("/albums/", name="/albums/")
        album = random.choice(_harvest(self, "/albums/", r'href="/albums/(\d+)/"', "albums"))
        self.client.get(f"/albums/{album}/", name="/albums/[id]/")

    @task(3)
    def concerts(self):
        self.client.get("/concerts/", name="/concerts/")
        concert = random.choice(_harvest(self, "/concerts/", r'href="/concerts/(\d+)/"', "concerts"))
        self.client.get(f"/concerts/{concert}/", name="/concerts/[id]/")

    @task(1)
    def recommend_page(self):
        self.client.get("/recommend/", name="/recommend/")

    @task(1)
    def api_album(self):
        album = random.choice(_harvest(self, "/albums/", r'href="/albums/(\d+)/"', "albums"))
        self.client.get(f"/api/v1/albums/{album}", name="/api/v1/albums/[id]")


class Listener(HttpUser):
    """Logged in: their songs and packs, and recommendations through the API."""

    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self):
        with _signing_in:
            self._sign_in()

    def _sign_in(self):
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post("/accounts/login/", data={"login": "demo", "password": "stylus-demo-2026", "csrfmiddlewaretoken": token},
                         headers={"Referer": self.host + "/accounts/login/"}, name="/accounts/login/ [POST]")

    @task(3)
    def songs(self):
        self.client.get("/tracks/songs/", name="/tracks/songs/")

    @task(1)
    def packs(self):
        self.client.get("/tracks/packs/", name="/tracks/packs/")

    @task(2)
    def recommendations(self):
        self.client.post("/api/v1/recommend", json={"url": SEED, "limit": 15}, headers={"Authorization": f"Bearer {TOKEN}"},
                         name="/api/v1/recommend [POST]")
