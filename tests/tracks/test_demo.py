"""The offline demo: every status, packs, an album series and achievements; loading twice changes nothing."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from tracks import demo
from tracks.models import Achievement, AlbumSeries, Collaboration, Pack, Song, Status

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


def test_demo_every_page_endpoint_and_admin_screen_answers(client, owner, staff, owner_api, owner_client,
                                                           staff_client):
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    s, p = Song.objects.filter(owner=owner).first(), Pack.objects.filter(owner=owner).first()
    a = AlbumSeries.objects.get(owner=owner)
    c = Collaboration.objects.filter(pack__owner=owner).first()
    bad = []
    for url in ["songs", "songs?sort=progress&scope=shared", f"songs/{s.pk}", "packs", f"packs/{p.pk}", "album-series",
                f"album-series/{a.pk}", "collaborations", "collaborations?state=pending", f"collaborations/{c.pk}",
                "achievements", "dashboard", "stats", "profile", "profiles/owner", "workflow/steps"]:
        r = client.get(f"/api/v1/tracks/{url}", **owner_api)
        if r.status_code != 200:
            bad.append((url, r.status_code, r.content[:200]))
    for url in ["/tracks/", "/tracks/songs/?page=abc&pack=x&sort=zzz&status=bad&scope=q", "/tracks/songs/?page=9999",
                f"/tracks/songs/{s.pk}/spotify/", "/tracks/packs/", f"/tracks/packs/{p.pk}/", "/tracks/albums/",
                f"/tracks/albums/{a.pk}/", "/tracks/u/owner/", "/tracks/profile/"]:
        r = owner_client.get(url)
        if r.status_code != 200:
            bad.append((url, r.status_code))
    for model in ["song", "pack", "albumseries", "collaboration", "achievement", "activity", "trackerprofile",
                  "workflowstep", "songstep"]:
        r = staff_client.get(f"/admin/tracks/{model}/")
        if r.status_code != 200:
            bad.append((model, r.status_code))
        obj = {"song": s, "pack": p, "albumseries": a, "collaboration": c}.get(model)
        if obj:
            r = staff_client.get(f"/admin/tracks/{model}/{obj.pk}/change/")
            if r.status_code != 200:
                bad.append((model, "change", r.status_code))
    assert not bad, bad


def test_unload_demo_removes_demo_rows_and_keeps_real_ones(owner, staff):
    from django.core.management import call_command

    from tracks import services
    from tracks.models import Activity

    real_song = services.song_create(user=owner, data={"title": "My Own Song", "artist": "Me"})
    real_pack = services.pack_create(user=owner, data={"name": "My Own Pack"})
    demo.load(user=owner, staff=staff, stdout=io.StringIO())
    assert Song.objects.filter(is_demo=True).count() == len(demo.SONGS) + 1  # and the friend's song

    call_command("unload_demo", stdout=io.StringIO())

    assert list(Song.objects.values_list("pk", flat=True)) == [real_song.pk]
    assert list(Pack.objects.values_list("pk", flat=True)) == [real_pack.pk]
    assert not AlbumSeries.objects.exists() and not Collaboration.objects.exists()
    assert not Activity.objects.filter(verb="demo_session").exists()
    assert Activity.objects.filter(song=real_song).exists()
