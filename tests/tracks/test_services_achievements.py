"""Achievements: the catalogue's rules, awarded exactly once, with notifications and a points total."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tracks import achievements as catalogue
from tracks import selectors, services
from tracks.models import Achievement, Activity, Status

pytestmark = pytest.mark.django_db


def codes(user) -> set[str]:
    return set(Achievement.objects.filter(user=user).values_list("code", flat=True))


def test_catalogue_codes_are_unique_and_complete():
    assert len(catalogue.BY_CODE) == len(catalogue.CATALOGUE)
    assert {"first_release", "first_finish", "pack_starter", "pack_creator", "first_collab", "streak_7",
            "release_10", "pack_release"} <= set(catalogue.BY_CODE)
    assert all(a.points > 0 and a.rarity in {"common", "uncommon", "rare", "epic", "legendary"} for a in catalogue.CATALOGUE)


def test_pack_starter_at_one_pack_and_creator_at_three(client, owner_api, owner):
    def make(name):
        return client.post("/api/v1/tracks/packs", data=json.dumps({"name": name}), content_type="application/json",
                           **owner_api)

    make("One")
    assert "pack_starter" in codes(owner) and "pack_creator" not in codes(owner)
    make("Two")
    assert "pack_creator" not in codes(owner)
    make("Three")
    assert "pack_creator" in codes(owner)


def test_first_release_awarded_once_only(owner, make_song):
    first = make_song("One", "Band")
    second = make_song("Two", "Band")

    services.song_set_status(user=owner, song=first, status=Status.RELEASED)
    services.song_set_status(user=owner, song=first, status=Status.IN_PROGRESS)
    services.song_set_status(user=owner, song=first, status=Status.RELEASED)
    services.song_set_status(user=owner, song=second, status=Status.RELEASED)

    assert Achievement.objects.filter(user=owner, code="first_release").count() == 1
    assert services.achievements_evaluate(user=owner) == []


def test_first_finish_when_every_step_is_ticked(owner, make_song):
    song = make_song("Work", "Band", status="In Progress")
    boxes = list(song.steps.all())
    for box in boxes[:-1]:
        services.song_step_set(user=owner, song=song, step_id=box.step_id, done=True)
    assert "first_finish" not in codes(owner)

    services.song_step_set(user=owner, song=song, step_id=boxes[-1].step_id, done=True)

    assert "first_finish" in codes(owner)


def test_pack_release_releases_its_songs_and_awards(owner, make_song, make_pack):
    pack = make_pack("Drop")
    a = make_song("A", "Band", pack_id=pack.pk)
    b = make_song("B", "Band", pack_id=pack.pk, status="In Progress")

    services.pack_release(user=owner, pack=pack)

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == Status.RELEASED and a.release_date == timezone.localdate()
    assert {"pack_release", "first_release"} <= codes(owner)


def test_streak_counts_consecutive_days(owner):
    now = timezone.now()
    for days_ago in (9, 6, 5, 4, 2):  # longest run: 6, 5, 4 -> 3 days
        a = Activity.objects.create(user=owner, verb="x", text="x")
        Activity.objects.filter(pk=a.pk).update(created_at=now - dt.timedelta(days=days_ago))

    assert selectors.tracker_stats(user=owner).streak_days == 3
    assert "streak_3" in {a.code for a in services.achievements_evaluate(user=owner)}
    assert "streak_7" not in codes(owner)


def test_collaboration_awards_both_sides(owner, outsider, make_song):
    song = make_song("Shared", "Band")
    collab = services.collaboration_invite(user=owner, username="outsider", song=song)
    assert "first_collab" not in codes(owner)

    services.collaboration_respond(user=outsider, collaboration=collab, accept=True)

    assert "first_collab" in codes(owner) and "first_collab" in codes(outsider)


def test_customised_workflow_awards_house_rules(owner):
    services.workflow_step_create(user=owner, name="Playtest")

    assert "own_workflow" in codes(owner)


def test_notifications_and_points_total(client, owner_api, owner, make_song):
    make_song("One", "Band")

    body = client.get("/api/v1/tracks/achievements", **owner_api).json()
    earned = [i for i in body["items"] if i["earned"]]
    assert body["points"] == sum(i["points"] for i in earned) == catalogue.BY_CODE["first_song"].points
    assert [i["code"] for i in earned if i["new"]] == ["first_song"]

    assert client.post("/api/v1/tracks/achievements/seen", **owner_api).json() == {"count": 1}
    assert not any(i["new"] for i in client.get("/api/v1/tracks/achievements", **owner_api).json()["items"])


def test_rolled_back_change_awards_nothing(owner):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.pack_create(user=owner, data={"name": "Ghost"})
        raise RuntimeError

    assert "pack_starter" not in codes(owner)


def test_admin_action_reevaluates(staff_client, owner, make_song):
    song = make_song("One", "Band")
    Achievement.objects.all().delete()

    response = staff_client.post("/admin/tracks/song/", {"action": "reevaluate_owner_achievements",
                                                         "_selected_action": [song.pk]})

    assert response.status_code == 302
    assert "first_song" in codes(owner)


@pytest.mark.parametrize("model", ["song", "pack", "albumseries", "workflowstep", "collaboration", "achievement",
                                   "activity", "trackerprofile", "songstep"])
def test_admin_changelists_render(staff_client, make_song, model):
    make_song("One", "Band", status="In Progress")
    url = f"/admin/tracks/{model}/"
    response = staff_client.get(url + "?q=one")

    assert response.status_code == 200
