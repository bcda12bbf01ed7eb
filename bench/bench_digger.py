"""Digger benchmarks.

1. 100 saved searches run against the replay server by 8 worker threads sharing the Discogs rate
   limiter (Redis when REDIS_URL is set, else the process-local window): the most Discogs requests
   in any 60-second window as seen by the server (target <= 60), and the wall time against the
   rate-limit floor (target <= 1.1x).
2. Matching 10,000 listings against a 5,000-item collection and want list: time and matches/s.
"""
from __future__ import annotations

import random
import string
import sys
import threading
from pathlib import Path

from _django import ROOT, Timer

WINDOW = 60.0
LIMIT = 60


def max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best = start = 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def floor_seconds(requests: int, limit: int, window: float) -> float:
    """The least time `requests` can take at `limit` per moving `window` (the first `limit` go at once)."""
    return ((requests - 1) // limit) * window


def bench_runs(searches: int = 100, workers: int = 8) -> bool:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from digger import services
    from digger.models import SavedSearch, SearchRun
    from tests.digger.fixtures import reset_limiter
    from tests.replay.server import ReplayServer

    data = ROOT / "tests" / "data" / "discogs"
    replay = ReplayServer().start()
    try:
        settings.DISCOGS_API_URL = settings.DISCOGS_WEB_URL = settings.EBAY_API_URL = replay.url
        settings.DISCOGS_RATE_LIMIT_AUTH, settings.DISCOGS_RATE_WINDOW = LIMIT, WINDOW
        settings.DISCOGS_MARKETPLACE_SCRAPING = True
        reset_limiter()
        replay.add("/sell/list", file=data / "sell_list_the_fall.html", content_type="text/html")
        replay.add("/marketplace/price_suggestions/372000", file=data / "price_suggestions_372000.json")
        for rid in (1018055, 1290440, 555):
            replay.add(f"/marketplace/price_suggestions/{rid}", json_body={})
        user = get_user_model().objects.create(username="bench-digger")
        services.credentials_update(user=user, discogs_username="bench", discogs_token="bench-token-0000")
        ids = [services.search_create(user=user, data={"name": f"search {i}", "query": f"The Fall {i}",
                                                       "platform": "discogs"}).pk for i in range(searches)]
        todo = list(ids)
        lock = threading.Lock()

        def worker() -> None:
            try:
                while True:
                    with lock:
                        if not todo:
                            return
                        search_id = todo.pop()
                    services.search_run_now(search=SavedSearch.objects.get(pk=search_id))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(workers)]
        with Timer() as timer:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        ok = SearchRun.objects.filter(status=SearchRun.Status.SUCCEEDED).count()
        stamps = [r.at for r in replay.requests]
        peak = max_in_window(stamps, WINDOW)
        floor = floor_seconds(len(stamps), LIMIT, WINDOW)
        ratio = timer.seconds / floor if floor else 0.0
        backend = "redis" if settings.REDIS_URL else "process-local"
        print(f"digger.runs={searches} succeeded={ok} workers={workers} limiter={backend} discogs_requests={len(stamps)}")
        peak_ok, ratio_ok = peak <= LIMIT, ratio <= 1.1
        print(f"digger.discogs_max_requests_in_60s={peak} target<=60 {'OK' if peak_ok else 'FAIL'}")
        print(f"digger.runs_wall_s={timer.seconds:.1f} floor_s={floor:.1f} ratio={ratio:.3f} target<=1.1 "
              f"{'OK' if ratio_ok else 'FAIL'}")
        return peak_ok and ratio_ok and ok == searches
    finally:
        replay.stop()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))


def bench_matching(listings: int = 10_000, items: int = 5_000) -> bool:
    from digger.matching import Matcher, Owned

    rng = random.Random(7)
    owned = []
    for i in range(items):
        artist = " ".join(_word(rng) for _ in range(rng.randint(1, 3))).title()
        title = " ".join(_word(rng) for _ in range(rng.randint(1, 4))).title()
        owned.append(Owned(release_id=i + 1, kind="want" if i % 2 else "collection", artist=artist, title=title,
                           catno=f"{_word(rng)[:3].upper()} {rng.randint(1, 999)}" if i % 3 == 0 else ""))
    rows = []
    for i in range(listings):
        kind = i % 4
        if kind == 0:  # a Discogs listing with a release id (half of them owned)
            rows.append({"release_id": rng.randint(1, items * 2), "title": "x"})
        elif kind == 1:  # an eBay title carrying an owned item's catalogue number
            o = owned[rng.randrange(0, items, 3)]
            rows.append({"title": f"{o.artist.upper()} {o.title} LP vinyl {o.catno} VG+"})
        elif kind == 2:  # an eBay title of an owned item, noisy: reordered and with extra words
            o = owned[rng.randrange(items)]
            rows.append({"title": f"{o.title} - {o.artist} original vinyl record 1979 ex"})
        else:  # unrelated
            rows.append({"title": " ".join(_word(rng) for _ in range(6))})
    with Timer() as build:
        matcher = Matcher(owned, threshold=85)
    with Timer() as timer:
        matched = sum(1 for r in rows if matcher.match(**r).matched)
    rate = listings / timer.seconds
    print(f"digger.matcher_build_ms={build.seconds * 1000:.1f} items={items}")
    print(f"digger.match_10k_s={timer.seconds:.3f} listings_per_s={rate:.0f} matched={matched}/{listings} "
          f"target: listings_per_s>=2000 {'OK' if rate >= 2000 else 'FAIL'}")
    return rate >= 2000


def _setup() -> callable:
    """A throwaway test database; on SQLite a file (WAL) rather than shared-cache memory, which
    raises "table is locked" instead of waiting when the worker threads write at once."""
    import tempfile

    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db["TEST"]["NAME"] = str(Path(tempfile.mkdtemp(prefix="bench-digger-")) / "bench.sqlite3")
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    return lambda: teardown_databases(old, verbosity=0)


def main() -> int:
    teardown = _setup()
    try:
        ok_match = bench_matching()
        ok_runs = bench_runs()
    finally:
        teardown()
    return 0 if ok_match and ok_runs else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
