"""The offline demo: every status, packs, an album series and achievements; loading twice changes nothing."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from tracks import demo
from tracks.models import Achievement, AlbumSeries, Pack, Song, Status

pytestmark = pytest.mark.django_db


def test_demo_load_covers_every_status_and_is_idempotent(owner, staff):
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    counts = (Song.objects.filter(owner=owner).count(), Pack.objects.filter(owner=owner).count(),
              Achievement.objects.filter(user=owner).count())

    demo.load(user=owner, staff=staff, stdout=io.StringIO())

    assert (Song.objects.filter(owner=owner).count(), Pack.objects.filter(owner=owner).count(),
            Achievement.objects.filter(user=owner).count()) == counts
    assert set(Song.objects.filter(owner=owner).values_list("status", flat=True)) == {s.value for s in Status}
    assert Pack.objects.filter(owner=owner, status=Status.RELEASED).exists()
    assert AlbumSeries.objects.filter(owner=owner).count() == 1
    codes = set(Achievement.objects.filter(user=owner).values_list("code", flat=True))
    assert {"first_release", "pack_starter", "pack_creator", "first_finish", "first_collab", "streak_3"} <= codes


def test_demo_pages_have_content(owner, staff, owner_client):
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    series = AlbumSeries.objects.get(owner=owner)

    assert "Midnight City" in owner_client.get(reverse("tracks:index")).content.decode()
    html = owner_client.get(reverse("tracks:series_detail", args=[series.pk])).content.decode()
    assert "track-state--missing" in html and "track-state--done" in html and "track-state--irrelevant" in html
    assert "invites you" in owner_client.get(reverse("tracks:collaborations")).content.decode()
    assert "Pack Starter" in owner_client.get(reverse("tracks:achievements")).content.decode()
