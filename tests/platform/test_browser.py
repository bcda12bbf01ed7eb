"""Key platform journeys in a real browser (Debian's Chromium through Playwright)."""
import re

import pytest

from common import services
from tests.conftest import browser_login
from tests.factories import UserFactory

pytestmark = pytest.mark.browser
SECTIONS = ["Albums", "Recommend", "Digger", "Archive", "Concerts", "Tracks"]


def test_sign_up_then_log_out_and_in_again(asgi_server, page):
    page.goto(f"{asgi_server.url}/accounts/signup/")
    page.fill("input[name=email]", "newlistener@example.com")
    page.fill("input[name=username]", "newlistener")
    page.fill("input[name=password1]", "a-long-unusual-passphrase-42")
    page.fill("input[name=password2]", "a-long-unusual-passphrase-42")
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/signup" not in url)
    assert page.locator(".account-menu summary").inner_text() == "newlistener"

    page.click(".account-menu summary")
    page.click("text=Log out")
    page.wait_for_selector("text=Log in")
    browser_login(page, asgi_server, "newlistener", "a-long-unusual-passphrase-42")
    assert page.locator(".account-menu summary").inner_text() == "newlistener"


def test_navigation_reaches_every_section(asgi_server, page):
    UserFactory(username="navigator")
    browser_login(page, asgi_server, "navigator")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for section in SECTIONS:
        page.click(f".mainnav >> text={section}")
        page.wait_for_load_state("domcontentloaded")
        assert page.url.startswith(f"{asgi_server.url}/{section.lower()}/"), page.url
        assert page.locator("h1").first.is_visible()
        assert "That groove is empty" not in page.content()
    csp_errors = [e for e in errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors


def test_progress_bar_updates_live_from_background_job(asgi_server, page):
    user = UserFactory(username="watcher")
    job = services.job_create(user=user, kind="export", label="Export my data")
    page.add_init_script("document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });")
    browser_login(page, asgi_server, "watcher")
    page.goto(f"{asgi_server.url}/account/jobs/{job.pk}/")
    bar = page.locator(f"#job-{job.pk}")
    assert bar.get_attribute("data-status") == "pending"
    page.wait_for_function("() => window.__wsOpen === true")

    from accounts.tasks import export_user_data

    export_user_data.delay(job.pk)  # the in-process worker runs it in the background
    page.wait_for_selector(f"#job-{job.pk}[data-status=succeeded]", timeout=15_000)
    assert page.locator(f"#job-{job.pk} progress").get_attribute("value") == "100"
    assert re.search(r"rows exported", page.locator(f"#job-{job.pk}").inner_text())
