"""Digger benchmarks.

1. 100 saved searches run against the replay server by 8 worker threads sharing the Discogs rate
   limiter (Redis when REDIS_URL is set, else the process-local window): the most Discogs requests
   in any 60-second window as seen by the server (target <= 60), and the wall time against the
   rate-limit floor (target <= 1.1x).
2. Matching 10,000 listings against a 5,000-item collection and want list: time and matches/s.
3. The cart optimizer on 200 wants, 5,000 listings and 1,000 sellers: time to a proven optimum (target
   <= 20 s) beside the greedy "cheapest listing per want" baseline timed in the same run, and the
   optimum's saving over greedy. The MILP itself (digger/optimizer.py), not the query that feeds it.
4. Fair-price bands for 10,000 releases from 1,000,000 price points (target <= 30 s): the grouping,
   quantiles and quantile regressions (digger/bands.py) plus writing the bands, beside a floor of one
   sort of the same points in the same run. The points are generated in memory, not read from a
   million PriceHistory rows.
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


def cart_problem(seed: int = 7, wants: int = 200, listings: int = 5_000, sellers: int = 1_000):
    """A marketplace shaped like Discogs: a few big sellers hold many records, most sellers a few;
    domestic sellers ship cheaply, international ones dearly, some with import duty."""
    from digger.optimizer import Offer, Problem, Seller

    rng = random.Random(seed)
    shops = {}
    for j in range(sellers):
        abroad = rng.random() < 0.6
        base = rng.uniform(12, 22) if abroad else rng.uniform(4, 8)
        extra = rng.uniform(2, 5) if abroad else rng.uniform(0.5, 2)
        shops[f"s{j}"] = Seller(key=f"s{j}", base=round(base, 2), extra=round(extra, 2),
                                duty=0.1 if abroad and rng.random() < 0.3 else 0.0)
    weights = [rng.paretovariate(1.2) for _ in range(sellers)]
    picks = rng.choices(range(sellers), weights, k=listings)
    offers = [Offer(key=i, want=i % wants, seller=f"s{picks[i]}", price=round(rng.lognormvariate(3, 0.4), 2))
              for i in range(listings)]
    return Problem(offers=offers, sellers=shops)


def bench_cart() -> bool:
    from django.conf import settings

    from digger.optimizer import greedy, plan_cost, solve

    problem = cart_problem()
    with Timer() as floor:
        baseline = greedy(problem)
    baseline_cost = plan_cost(problem, baseline)
    with Timer() as timer:
        plan = solve(problem, time_limit=settings.CART_TIME_LIMIT_S)
    saving = baseline_cost - plan.cost
    ok = plan.optimal and timer.seconds <= 20
    print(f"digger.cart wants=200 listings={len(problem.offers)} sellers={len(problem.sellers)} "
          f"status={plan.status} bought={plan.covered}")
    print(f"digger.cart_optimal_s={timer.seconds:.2f} floor_greedy_s={floor.seconds:.3f} target<=20 "
          f"{'OK' if ok else 'FAIL'}")
    print(f"digger.cart_landed={plan.cost:.2f} greedy_landed={baseline_cost:.2f} saving={saving:.2f} "
          f"({100 * saving / baseline_cost:.1f}% of greedy)")
    return ok


def bench_bands(releases: int = 10_000, points: int = 1_000_000) -> bool:
    from decimal import Decimal

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from digger.bands import compute_bands
    from digger.models import PriceBand

    rng = np.random.default_rng(11)
    release_ids = rng.integers(1, releases + 1, size=points)
    grade_codes = np.array(["M", "NM", "VG+", "VG", "G+"])
    grades = grade_codes[rng.choice(5, size=points, p=[0.05, 0.3, 0.35, 0.25, 0.05])].tolist()
    currencies = np.array(["USD", "EUR"])[rng.choice(2, size=points, p=[0.8, 0.2])].tolist()
    days = rng.uniform(0, 720, size=points)
    prices = np.exp(rng.normal(3, 0.4, size=points)) * (1 + days / 2000)
    with Timer() as floor:
        np.lexsort((release_ids, prices))
    with Timer() as timer:
        with Timer() as compute:
            bands = compute_bands(release_ids=release_ids, grades=grades, currencies=currencies, prices=prices,
                                  days=days, today=720.0)
        now = timezone.now()
        with transaction.atomic():  # as price_bands_compute stores them: one transaction
            PriceBand.objects.bulk_create([
                PriceBand(release_id=b.release_id, media_condition=b.grade, currency=b.currency,
                          p25=Decimal(f"{b.p25:.2f}"), p50=Decimal(f"{b.p50:.2f}"), p75=Decimal(f"{b.p75:.2f}"),
                          count=b.count, method=b.method, computed_at=now) for b in bands], batch_size=5000)
    regression = sum(1 for b in bands if b.method == "regression")
    ok = timer.seconds <= 30
    print(f"digger.bands releases={releases} points={points} bands={len(bands)} regression={regression} "
          f"quantiles={len(bands) - regression} db={connection.vendor}")
    print(f"digger.bands_s={timer.seconds:.2f} (compute {compute.seconds:.2f}, store {timer.seconds - compute.seconds:.2f}) "
          f"floor_sort_s={floor.seconds:.3f} target<=30 {'OK' if ok else 'FAIL'}")
    return ok


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
        ok_cart = bench_cart()
        ok_bands = bench_bands()
        ok_match = bench_matching()
        ok_runs = bench_runs()
    finally:
        teardown()
    return 0 if ok_cart and ok_bands and ok_match and ok_runs else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
