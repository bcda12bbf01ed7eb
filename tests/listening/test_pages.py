"""Listening pages: /listening/, settings, public history, delete, storage, service worker, manifest, share links."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import services
from listening.models import Listen, ListeningProfile

pytestmark = pytest.mark.django_db


def _listen(user, title: str = "Bertha", **kw) -> Listen:
    return services.listen_record(user=user, listened_at=timezone.now() - dt.timedelta(minutes=kw.pop("ago", 10)),
                                  track_title=title, artist_name="The Stylus Band", source="web", **kw)


def test_listening_page_shows_recent_plays_stats_and_continue_listening(client, owner):
    _listen(owner, recording_identifier="sb1977", filename="d1t01.flac", release_name="Barton Hall")
    client.force_login(owner)
    page = client.get("/listening/").content.decode()
    assert "Bertha" in page
    assert 'data-play-recording="sb1977"' in page and 'data-play-file="d1t01.flac"' in page
    assert 'data-chart="by_hour"' in page and "listening-stats-data" in page
    assert "uPlot-1.6.32.iife.min.js" in page


def test_listening_page_range_tab_returns_the_stats_partial(client, owner):
    _listen(owner)
    client.force_login(owner)
    response = client.get("/listening/?range=year", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="listening-stats"' in body and "<html" not in body


def test_listening_page_boosted_navigation_gets_the_whole_page(client, owner):
    client.force_login(owner)
    body = client.get("/listening/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" in body and 'id="stylus-player"' in body


def test_listening_page_needs_login(client):
    assert client.get("/listening/").status_code == 302


def test_listening_page_on_this_day_lists_earlier_years(client, owner):
    last_year = timezone.now() - dt.timedelta(days=365 * 2)
    if (last_year.month, last_year.day) != (timezone.now().month, timezone.now().day):
        last_year = last_year.replace(year=timezone.now().year - 2, month=timezone.now().month, day=timezone.now().day)
    services.listen_record(user=owner, listened_at=last_year, track_title="Two Years Ago", artist_name="A", source="web")
    client.force_login(owner)
    assert "Two Years Ago" in client.get("/listening/").content.decode()


def test_listen_delete_page_action_removes_own_and_404s_for_outsider(client, owner, outsider):
    listen = _listen(owner)
    client.force_login(outsider)
    assert client.post(f"/listening/listens/{listen.pk}/delete/").status_code == 404
    client.force_login(owner)
    assert client.post(f"/listening/listens/{listen.pk}/delete/").status_code == 302
    assert not Listen.objects.exists()


def test_listens_delete_all_needs_the_confirmation(client, owner):
    _listen(owner)
    client.force_login(owner)
    client.post("/listening/listens/delete-all/")
    assert Listen.objects.count() == 1
    client.post("/listening/listens/delete-all/", {"confirm": "yes"})
    assert Listen.objects.count() == 0


def test_public_history_is_private_by_default_and_public_when_opted_in(client, owner, outsider):
    _listen(owner, title="Secret Song")
    assert client.get("/listening/u/owner/").status_code == 404
    client.force_login(owner)
    client.post("/listening/settings/privacy/", {"history_public": "on"})
    assert ListeningProfile.objects.get(user=owner).history_public
    client.force_login(outsider)
    assert "Secret Song" in client.get("/listening/u/owner/").content.decode()


def test_settings_page_shows_connections_and_the_scrobble_in_url(client, owner):
    client.force_login(owner)
    page = client.get("/listening/settings/").content.decode()
    assert "/apis/listenbrainz/" in page and "Connect Last.fm" in page


def test_service_worker_is_served_from_the_root_with_its_config(client, settings):
    response = client.get("/sw.js")
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert f'"offlineCacheMb": {settings.OFFLINE_CACHE_MB}' in body
    assert "workbox-sw.js" in body and "listening-sw.js" in body and "googleapis" not in body


def test_service_worker_and_manifest_under_the_production_static_manifest(client, settings, tmp_path):
    """Production hashes static file names: the worker still finds Workbox and its own script, the manifest its icon."""
    import json
    import re

    from django.core.management import call_command

    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    response = client.get("/sw.js")
    assert response.status_code == 200
    body = response.content.decode()
    config = json.loads(body.split("self.STYLUS_SW = ", 1)[1].split(";\n", 1)[0])
    folder = tmp_path / config["workbox"].removeprefix(settings.STATIC_URL)
    assert (folder / "workbox-routing.prod.js").is_file() and (folder / "workbox-range-requests.prod.js").is_file()
    assert re.search(r"js/listening-sw\.[0-9a-f]{12}\.js", body)
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    [icon] = manifest.json()["icons"]
    assert (tmp_path / icon["src"].removeprefix(settings.STATIC_URL)).is_file()


def test_manifest_describes_an_installable_app(client):
    data = client.get("/manifest.webmanifest").json()
    assert data["start_url"] == "/" and data["display"] == "standalone" and data["icons"]


def test_play_page_carries_the_moment_to_the_player(client):
    body = client.get("/listening/play/sb1977/", {"file": "d1t02.flac", "t": "12:34"}).content.decode()
    assert 'data-play-recording="sb1977"' in body and 'data-play-file="d1t02.flac"' in body and 'data-play-t="12:34"' in body


def test_csp_media_src_allows_self_and_the_archive_origin_only(client, settings):
    header = client.get("/listening/storage/")["Content-Security-Policy"]
    media = next(part.strip() for part in header.split(";") if part.strip().startswith("media-src"))
    assert media.split()[1:] == ["'self'", settings.IA_MEDIA_ORIGIN]


def test_every_page_has_the_preserved_player_bar(client):
    body = client.get("/").content.decode()
    assert 'id="stylus-player"' in body and 'hx-preserve="true"' in body and "gapless5-1.6.2.js" in body


def test_boosted_request_gets_whole_pages_from_views_that_answer_htmx_with_partials(client):
    partial = client.get("/concerts/", HTTP_HX_REQUEST="true").content.decode()
    boosted = client.get("/concerts/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" not in partial
    assert "<html" in boosted and 'id="stylus-player"' in boosted


def test_home_page_shows_the_listening_card_with_recent_plays(client, owner):
    _listen(owner, title="Home Card Song")
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "Home Card Song" in body and "/listening/" in body
