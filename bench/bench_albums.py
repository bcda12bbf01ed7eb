"""Albums benchmarks: parser throughput, shared-browser scraping, cached album API requests.

    .venv/bin/python bench/bench_albums.py [--pages 50] [--skip-browser]

1. Album page parse throughput on the real recorded page (../shared/fixtures/aoty, else our own
   small page): the selectolax parser against the same extraction written with BeautifulSoup and
   html.parser, one core, in one run. Targets: >= 5x, and >= 150 pages/s.
2. Playwright scraping of N pages from the local replay server: launching a browser per page against
   the warm pool of pages in navigate mode (target >= 5x) and in request mode (target >= 20x), each
   beside its bare-Playwright floor measured in the same run.
3. Cached GET /api/v1/albums/{id} through the full Django stack (middleware, auth, throttle,
   ninja, cache, database), in-process: requests per second and latency percentiles.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("API_EXTERNAL_RATE", "100000000/m")  # the benchmark measures the stack, not the throttle
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._django import ROOT, Timer, percentiles, setup_django  # noqa: E402

OWN_ALBUM = ROOT / "tests" / "data" / "aoty" / "album_small.html"


def _album_html() -> tuple[str, str]:
    from django.conf import settings

    real = Path(settings.STYLUS_FIXTURES_DIR) / "aoty" / "album_564912-asap-rocky-dont-be-dumb.html"
    if real.exists():
        return real.read_text(), "real recorded album page"
    return OWN_ALBUM.read_text(), "own small album page (shared fixtures absent)"


def bs4_parse_album(html: str) -> dict:
    """The same fields as parse_album_page, extracted with BeautifulSoup and html.parser."""
    import json

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    ld = {}
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            ld = json.loads(script.string or "")
            break
        except ValueError:
            continue
    text = lambda node: " ".join(node.get_text(" ").split()) if node else ""  # noqa: E731
    out = {"title": ld.get("name") or text(soup.select_one("h1.albumTitle")),
           "artists": [text(a) for a in soup.select(".albumHeadline .artist a")],
           "critic": text(soup.select_one(".albumCriticScore a")), "user": text(soup.select_one(".albumUserScore a")),
           "critic_count": text(soup.select_one(".albumCriticScoreBox .numReviews strong")),
           "user_count": text(soup.select_one(".albumUserScoreBox .numReviews strong"))}
    out["details"] = [text(row) for row in soup.select(".albumTopBox.info .detailRow")]
    out["genres"] = [text(a) for a in soup.select(".albumTopBox.info .detailRow a[href*='/genre/']")]
    out["tracks"] = [(text(r.select_one(".trackNumber")), text(r.select_one(".trackTitle a")), text(r.select_one(".length")),
                      text(r.select_one(".trackRating span")), [text(a) for a in r.select(".featuredArtists a")])
                     for r in soup.select("#tracklist .trackListTable tr")]
    out["critics"] = [(text(r.select_one(".publication")), text(r.select_one(".author")), text(r.select_one(".albumReviewRating")),
                       text(r.select_one(".albumReviewText")), (r.select_one(".extLink a") or {}).get("href"))
                      for r in soup.select("#critics .albumReviewRow")]
    out["users"] = [(text(r.select_one(".userReviewName a")), text(r.select_one(".rating")), text(r.select_one(".albumReviewText")),
                     text(r.select_one(".review_likes"))) for r in soup.select("section#users .albumReviewRow")]
    out["links"] = [(a.get("title"), a.get("href")) for a in soup.select(".thirdPartyLinks a")]
    similar = []
    for heading in soup.select(".sectionHeading"):
        if "You May Also Like" in text(heading):
            similar = [(text(b.select_one(".artistTitle")), text(b.select_one(".albumTitle"))) for b in heading.parent.select(".albumBlock")]
    out["similar"] = similar
    return out


def bench_parse(rounds_seconds: float = 3.0) -> tuple[float, float]:
    from integrations.aoty.parser import parse_album_page

    html, label = _album_html()
    fast, slow = parse_album_page(html), bs4_parse_album(html)
    assert len(fast.tracks) == len(slow["tracks"]) and len(fast.similar) == len(slow["similar"]), "extractions differ"

    def rate(fn) -> float:
        for _ in range(3):
            fn(html)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < rounds_seconds:
            fn(html)
            n += 1
        return n / (time.perf_counter() - start)

    selectolax_rate = rate(parse_album_page)
    bs4_rate = rate(bs4_parse_album)
    ratio = selectolax_rate / bs4_rate
    print(f"# parse: {label}, {len(html) // 1024} KB, one core")
    print(f"albums.parse_pages_per_sec={selectolax_rate:.1f} target>=150 {'OK' if selectolax_rate >= 150 else 'MISS'}")
    print(f"albums.parse_bs4_html_parser_pages_per_sec={bs4_rate:.1f}")
    print(f"albums.parse_speedup_vs_bs4={ratio:.1f}x target>=5x {'OK' if ratio >= 5 else 'MISS'}")
    return selectolax_rate, ratio


def bench_browser(pages: int) -> float | None:
    """Launch per page vs the warm pool (navigate) vs request mode, with bare Playwright floors, in one run."""
    from django.conf import settings

    from integrations.aoty import fetcher
    from tests.conftest import CHROMIUM
    from tests.replay.server import ReplayServer

    if not Path(CHROMIUM).exists():
        print(f"# browser: skipped (no Chromium at {CHROMIUM})")
        return None
    html, _ = _album_html()
    server = ReplayServer().start()
    for i in range(pages):
        server.add(f"/album/{i}-bench.php", body=html, content_type="text/html; charset=utf-8")
    settings.AOTY_BASE_URL = server.url
    settings.AOTY_MIN_INTERVAL = 0.0
    settings.AOTY_CHROMIUM_PATH = CHROMIUM
    settings.AOTY_TIMEOUT = 20.0
    settings.AOTY_BROWSER_PAGES = 2
    fetcher.robots.reset()
    launched_pages = max(3, min(pages, 10))  # ~1 s each: fewer pages, same per-page figure

    def timed(fetch, count: int) -> float:
        with Timer() as t:
            for i in range(count):
                assert "albumTitle" in fetch(f"{server.url}/album/{i}-bench.php").html
        return t.seconds / count

    try:
        settings.AOTY_FETCH_MODE = "navigate"
        fetcher.shared_browser_reset()
        pool = fetcher.PlaywrightFetcher(shared=True)
        pool.fetch(f"{server.url}/album/0-bench.php")  # launch and warm once, as a running worker would have
        navigate_s = timed(pool.fetch, pages)
        settings.AOTY_FETCH_MODE = "request"  # same warm pool: its first page already loaded a normal page
        request_s = timed(pool.fetch, pages)
        stats = fetcher.shared_browser()
        assert stats.request_fetches == pages, "request mode fell back to navigation"
        per_page_s = timed(fetcher.PlaywrightFetcher(shared=False).fetch, launched_pages)
        floors = _raw_playwright(server.url, min(pages, 20))
    finally:
        fetcher.shared_browser_reset()
        server.stop()
    navigate_x, request_x = per_page_s / navigate_s, per_page_s / request_s
    print(f"# browser: {pages} pages from the replay server ({launched_pages} for launch-per-page), Chromium {CHROMIUM}")
    print(f"albums.browser_launch_per_page_ms={per_page_s * 1000:.0f} floor_bare_launch_page_close_ms={floors['launch'] * 1000:.0f}")
    print(f"albums.browser_pool_navigate_ms={navigate_s * 1000:.0f} floor_bare_reused_page_goto_ms={floors['goto'] * 1000:.0f}")
    print(f"albums.browser_pool_request_ms={request_s * 1000:.1f} floor_bare_context_request_ms={floors['request'] * 1000:.1f}")
    print(f"albums.browser_pool_navigate_speedup={navigate_x:.1f}x target>=5x {'OK' if navigate_x >= 5 else 'MISS'}")
    print(f"albums.browser_pool_request_speedup={request_x:.1f}x target>=20x {'OK' if request_x >= 20 else 'MISS'}")
    # Our launch-per-page also starts Playwright's driver each time; against the bare launch floor alone:
    print(f"albums.browser_pool_navigate_vs_bare_launch_floor={floors['launch'] / navigate_s:.1f}x (information)")
    # The old design (a new context per page in a running browser), for reference.
    print(f"albums.browser_floor_bare_new_context_per_page_ms={floors['context'] * 1000:.0f}")
    return navigate_x


def _raw_playwright(base_url: str, pages: int) -> dict[str, float]:
    """Seconds per page for bare Playwright, no Stylus code, the same Chromium flags, JavaScript off and
    documents only: launch + page + close; a new context per page; one reused page; the context's request API."""
    import asyncio
    import concurrent.futures

    from django.conf import settings
    from playwright.async_api import async_playwright

    from integrations.aoty.browser import launch_args as scraper_args
    from integrations.aoty.browser import top_level_document_only

    launch_args = {"executable_path": settings.AOTY_CHROMIUM_PATH, "args": scraper_args()}

    async def fresh_context(browser, i: int) -> None:
        context = await browser.new_context(java_script_enabled=False)
        await context.route("**/*", top_level_document_only)
        page = await context.new_page()
        response = await page.goto(f"{base_url}/album/{i}-bench.php", wait_until="commit")
        assert "albumTitle" in await response.text()
        await context.close()

    async def measure() -> dict[str, float]:
        out: dict[str, float] = {}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(**launch_args)
            await fresh_context(browser, 0)
            start = time.perf_counter()
            for i in range(pages):
                await fresh_context(browser, i)
            out["context"] = (time.perf_counter() - start) / pages
            context = await browser.new_context(java_script_enabled=False)
            await context.route("**/*", top_level_document_only)
            page = await context.new_page()
            await page.goto(f"{base_url}/album/0-bench.php", wait_until="commit")
            start = time.perf_counter()
            for i in range(pages):
                response = await page.goto(f"{base_url}/album/{i}-bench.php", wait_until="commit")
                assert "albumTitle" in await response.text()
            out["goto"] = (time.perf_counter() - start) / pages
            start = time.perf_counter()
            for i in range(pages):
                answer = await context.request.get(f"{base_url}/album/{i}-bench.php")
                assert "albumTitle" in await answer.text()
            out["request"] = (time.perf_counter() - start) / pages
            await browser.close()
            start = time.perf_counter()
            for i in range(5):
                browser = await pw.chromium.launch(**launch_args)
                await fresh_context(browser, i)
                await browser.close()
            out["launch"] = (time.perf_counter() - start) / 5
        return out

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a thread of its own, away from any running loop
        return pool.submit(asyncio.run, measure()).result()


def bench_api(seconds: float = 5.0) -> float:
    from django.test import Client

    from albums import services
    from integrations.aoty.parser import parse_album_page

    html, _ = _album_html()
    album = services.album_save_page(page=parse_album_page(html))
    client = Client()
    url = f"/api/v1/albums/{album.pk}"
    first = client.get(url)
    assert first.status_code == 200, first.content[:200]
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    rps = len(samples) / sum(samples)
    p = percentiles(samples)
    print(f"# api: cached GET {url} through the full Django stack, in-process, one client")
    print(f"albums.api_album_cached_rps={rps:.1f} p50_ms={p['p50_ms']} p95_ms={p['p95_ms']} p99_ms={p['p99_ms']}")
    return rps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    teardown = setup_django(database=True)
    try:
        bench_parse()
        if not args.skip_browser:
            bench_browser(args.pages)
        bench_api()
    finally:
        teardown()


if __name__ == "__main__":
    main()
