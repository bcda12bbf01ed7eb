"""The Subsonic app-password page: create (shown once), replace, remove; stored encrypted; never the account
password; on the account page (the subsonic card loads there) and on its own page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import CHROMIUM, browser_login
from tests.subsonic.conftest import call_json


def test_app_password_page_shows_the_two_settings(owner_client):
    response = owner_client.get("/subsonic/settings/")
    assert response.status_code == 200
    assert b"data-server-url>http://testserver<" in response.content
    assert b"You have no app password yet." in response.content


def test_app_password_create_is_shown_once_and_works_for_a_client(owner_client, client, owner):
    from subsonic.models import AppPassword

    response = owner_client.post("/subsonic/settings/password/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"<html" not in response.content  # the partial only
    secret = response.content.split(b"data-app-password>")[1].split(b"<")[0].decode()
    assert AppPassword.objects.get(user=owner).secret == secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM subsonic_apppassword WHERE user_id = %s", [owner.pk])
        assert secret not in cursor.fetchone()[0]  # stored encrypted
    assert call_json(client, "ping", u="owner", p=secret)["status"] == "ok"
    assert secret.encode() not in owner_client.get("/subsonic/settings/").content


def test_app_password_replace_signs_out_the_old_one(owner_client, client):
    first = owner_client.post("/subsonic/settings/password/").content.split(b"data-app-password>")[1].split(b"<")[0]
    owner_client.post("/subsonic/settings/password/")
    assert call_json(client, "ping", u="owner", p=first.decode())["error"]["code"] == 40


def test_app_password_delete_removes_it(owner_client, owner):
    from subsonic.models import AppPassword

    owner_client.post("/subsonic/settings/password/")
    owner_client.post("/subsonic/settings/password/delete/")
    assert not AppPassword.objects.filter(user=owner).exists()


def test_app_password_page_needs_login(client):
    assert client.get("/subsonic/settings/").status_code == 302
    assert client.post("/subsonic/settings/password/").status_code == 302


def test_outsider_post_changes_only_their_own_password(outsider_client, owner, outsider):
    from subsonic.models import AppPassword
    from tests.subsonic.conftest import set_app_password

    set_app_password(owner, "owner-secret")
    outsider_client.post("/subsonic/settings/password/delete/")
    assert AppPassword.objects.get(user=owner).secret == "owner-secret"


def test_account_page_links_to_the_subsonic_page(owner_client):
    content = owner_client.get("/account/").content
    assert b'href="/subsonic/settings/" data-subsonic-link' in content


def test_account_page_carries_the_app_password_card(owner_client):
    content = owner_client.get("/account/").content.decode()
    assert 'id="app-password" hx-get="/subsonic/settings/" hx-trigger="load"' in content
    card = owner_client.get("/subsonic/settings/", HTTP_HX_REQUEST="true").content.decode()
    assert card.lstrip().startswith('<section class="card" id="app-password">')  # the card alone, swapped in place
    assert "Create app password" in card


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}")
def test_account_page_creates_an_app_password_a_client_can_use(page, asgi_server, owner):
    import urllib.request

    from subsonic.models import AppPassword

    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/account/")
    page.click("#app-password button:has-text('Create app password')")
    secret = page.text_content("[data-app-password]", timeout=10_000).strip()
    assert page.url.endswith("/account/")  # created in place, on the account page
    assert AppPassword.objects.get(user=owner).secret == secret
    with urllib.request.urlopen(f"{asgi_server.url}/rest/ping?u=owner&p={secret}&f=json") as response:
        assert json.loads(response.read())["subsonic-response"]["status"] == "ok"
