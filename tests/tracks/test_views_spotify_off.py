"""Spotify pages when the integration is off or the link is bad, and the enrich job's privacy."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_enrich_all_without_spotify_config_explains(owner_client, make_song, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    make_song("S", "A")

    response = owner_client.post(reverse("tracks:song_enrich_all"), follow=True)

    assert "not configured" in response.content.decode()


def test_song_enrich_page_without_spotify_config_explains(owner_client, make_song, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    song = make_song("S", "A")

    html = owner_client.get(reverse("tracks:song_enrich", args=[song.pk])).content.decode()

    assert "not configured" in html


def test_enrich_job_page_is_private(owner_client, outsider_client, owner):
    from common.services import job_create

    job = job_create(user=owner, kind="tracks.enrich", label="Spotify details for 2 songs", total=2)

    assert owner_client.get(reverse("tracks:enrich_job", args=[job.pk])).status_code == 200
    assert outsider_client.get(reverse("tracks:enrich_job", args=[job.pk])).status_code == 404


def test_playlist_import_page_bad_link_is_form_error(owner_client):
    response = owner_client.post(reverse("tracks:playlist_import"), {"url": "not a link"})

    assert response.status_code == 200 and "not a Spotify link" in response.content.decode()
