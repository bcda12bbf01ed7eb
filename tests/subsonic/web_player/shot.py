"""Screenshot of a Subsonic web player (the `subsonic-api` client from npm, in index.html) playing a Stylus
concert in headless Chromium. Not part of the test run: it needs a live Stylus with the demo content.

    cd /tmp && npm pack subsonic-api@3.3.1 && tar xzf subsonic-api-3.3.1.tgz   # the client, from npm
    mkdir -p /tmp/webclient && cp tests/subsonic/web_player/index.html /tmp/webclient/
    cp -r /tmp/package /tmp/webclient/subsonic-api
    (cd /tmp/webclient && python3 -m http.server 8766 --bind 127.0.0.1) &
    # a Stylus with `manage.py load_demo` on 127.0.0.1:8765, then:
    .venv/bin/python tests/subsonic/web_player/shot.py
"""
from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

PAGE = "http://127.0.0.1:8766/index.html"
SERVER = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"
URL = f"{PAGE}?server={SERVER}&u=demo&p=stylus-subsonic-demo&album=al-1"

with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                 args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 760})
    page.goto(URL)
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.wait_for_timeout(1500)
    playing = not page.evaluate("document.getElementById('audio').paused")
    position = page.evaluate("document.getElementById('audio').currentTime")
    print(f"playing: {playing}, at {position:.1f} s")
    page.screenshot(path="tests/subsonic/web_player/screenshot.png")
    browser.close()
