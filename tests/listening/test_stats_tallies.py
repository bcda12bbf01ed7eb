"""The "all" stats read from tallies folded in from new listens: the same figures as grouping the history."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import selectors, services
from listening.models import Listen, ListenTally

pytestmark = pytest.mark.django_db


def _record(user, *, minutes_ago: int, title: str, artist: str = "The Stylus Band", release: str = "",
            identifier: str = "", seconds: int = 100) -> Listen:
    return services.listen_record(user=user, listened_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
                                  track_title=title, artist_name=artist, release_name=release,
                                  recording_identifier=identifier, seconds_played=seconds, source="web")


def _history(user) -> None:
    for i in range(6):
        _record(user, minutes_ago=10 + i, title="Bertha", release="Barton Hall", identifier="sb1977")
    for i in range(3):
        _record(user, minutes_ago=30 + i, title=f"Song {i}", artist="Phonograph Jam", seconds=200)
    _record(user, minutes_ago=50, title="Bertha (2011 Remaster)", release="Barton Hall")


def _grouped(user) -> dict:
    return selectors._compute_stats(user=user, range="all", now=timezone.now())


def test_stats_all_from_tallies_equals_grouping_the_history(owner, outsider):
    _history(owner)
    _record(outsider, minutes_ago=5, title="Not Mine", artist="Outsider Band")
    tallied = selectors._stats_from_tallies(user=owner)
    grouped = _grouped(owner)
    for name in ("plays", "listening_seconds", "by_hour", "by_weekday", "over_time", "top_artists", "top_releases",
                 "top_shows"):
        assert tallied[name] == grouped[name], name
    # Tracks group by normalised title: the remaster is the same song (7 plays, not 6 and 1).
    assert tallied["top_tracks"][0] == {"name": "Bertha (2011 Remaster)", "artist": "The Stylus Band", "plays": 7}
    assert tallied["plays"] == 10 and "Outsider Band" not in str(tallied)


def test_stats_all_folds_in_only_new_listens(owner):
    _history(owner)
    selectors._stats_from_tallies(user=owner)
    before = dict(ListenTally.objects.filter(user=owner, kind="artist").values_list("name", "plays"))
    _record(owner, minutes_ago=1, title="Scarlet Begonias")
    stats = selectors._stats_from_tallies(user=owner)
    assert stats["plays"] == 11
    after = dict(ListenTally.objects.filter(user=owner, kind="artist").values_list("name", "plays"))
    assert after == {**before, "The Stylus Band": before["The Stylus Band"] + 1}


def test_stats_all_after_deleting_a_listen_is_rebuilt(owner, owner_api, client):
    _history(owner)
    assert client.get("/api/v1/listens/stats?range=all", **owner_api).json()["plays"] == 10
    victim = Listen.objects.filter(user=owner, artist_name="Phonograph Jam").first()
    assert client.delete(f"/api/v1/listens/{victim.pk}", **owner_api).status_code == 204
    stats = client.get("/api/v1/listens/stats?range=all", **owner_api).json()
    assert stats["plays"] == 9
    assert {a["name"]: a["plays"] for a in stats["top_artists"]}["Phonograph Jam"] == 2


def test_stats_all_rebuilds_when_rows_vanish_behind_its_back(owner):
    _history(owner)
    selectors._stats_from_tallies(user=owner)
    Listen.objects.filter(user=owner, track_title="Song 0").delete()  # not through the services
    _record(owner, minutes_ago=1, title="Scarlet Begonias")  # a fold counts the history again
    assert selectors._stats_from_tallies(user=owner)["plays"] == 10
    assert ListenTally.objects.get(user=owner, kind="artist", name="Phonograph Jam").plays == 2


def test_stats_all_after_delete_all_is_empty(owner):
    _history(owner)
    selectors._stats_from_tallies(user=owner)
    services.listens_delete_all(user=owner)
    stats = selectors._stats_from_tallies(user=owner)
    assert (stats["plays"], stats["top_artists"]) == (0, [])
    assert not ListenTally.objects.filter(user=owner).exists()


def test_stats_all_audits_the_count_at_most_every_few_minutes(owner):
    from listening.models import ListeningProfile
    from listening.services import tallies

    _history(owner)
    selectors._stats_from_tallies(user=owner)
    Listen.objects.filter(user=owner, track_title="Song 0").delete()  # behind the services' back
    assert selectors._stats_from_tallies(user=owner)["plays"] == 10  # not counted again yet
    ListeningProfile.objects.filter(user=owner).update(
        tallies_checked_at=timezone.now() - tallies.AUDIT_EVERY - dt.timedelta(seconds=1))
    assert selectors._stats_from_tallies(user=owner)["plays"] == 9


def test_demo_unload_drops_the_demo_users_tallies(owner):
    from listening import demo

    demo.load(user=owner)
    assert selectors._stats_from_tallies(user=owner)["plays"] == 120
    demo.unload()
    assert selectors._stats_from_tallies(user=owner)["plays"] == 0


def _import(user, count: int, *, start: int = 0) -> int:
    items = [services.ListenIn(listened_at=timezone.now() - dt.timedelta(minutes=start + i), track_title=f"Song {i % 7}",
                               artist_name=f"Band {i % 3}") for i in range(count)]
    return services.listens_import(user=user, items=items, source="import")


def test_an_import_folds_the_tallies_in_the_background(owner, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from listening.models import ListeningProfile
    from listening.services.tallies import FOLD_QUEUED_KEY

    cache.delete(FOLD_QUEUED_KEY.format(owner.pk))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert _import(owner, 40) == 40
        assert _import(owner, 25, start=100) == 25  # a second batch before the fold ran: no second fold queued
    assert len([c for c in queued if "tallies_fold_task" in c.__code__.co_names]) == 1
    # the fold ran (eagerly here, on a worker in production) before any stats read
    profile = ListeningProfile.objects.get(user=owner)
    assert profile.tallied_plays == 65
    assert profile.tallied_to_id == Listen.objects.filter(user=owner).order_by("-pk").values_list("pk", flat=True)[0]
    assert dict(ListenTally.objects.filter(user=owner, kind="artist").values_list("name", "plays")) == \
        {"Band 0": 14 + 9, "Band 1": 13 + 8, "Band 2": 13 + 8}
    assert cache.get(FOLD_QUEUED_KEY.format(owner.pk)) is None  # the next import queues a fold again
    assert selectors._stats_from_tallies(user=owner)["plays"] == 65


def test_a_fold_for_a_deleted_account_does_nothing(owner):
    user_id = owner.pk
    owner.delete()
    services.tallies_fold_queued(user_id=user_id)  # the queued fold of an account deleted meanwhile
    assert not ListenTally.objects.filter(user_id=user_id).exists()
