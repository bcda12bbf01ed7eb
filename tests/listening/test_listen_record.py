"""listen_record / listens_import: storing, idempotency, validation, and linking to what Stylus knows."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import selectors, services
from listening.models import Listen

pytestmark = pytest.mark.django_db


def _at(minutes_ago: int = 10) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=minutes_ago)


def test_listen_record_stores_a_listen_with_its_source(owner):
    listen = services.listen_record(user=owner, listened_at=_at(), track_title="Bertha", artist_name="The Stylus Band",
                                    source="subsonic", release_name="Barton Hall", duration_seconds=300, seconds_played=200)
    stored = Listen.objects.get(pk=listen.pk)
    assert (stored.user, stored.track_title, stored.source, stored.seconds_played) == (owner, "Bertha", "subsonic", 200)


def test_listen_record_is_idempotent_on_user_time_title_artist(owner):
    at = _at()
    first = services.listen_record(user=owner, listened_at=at, track_title="Bertha", artist_name="Band", source="web")
    again = services.listen_record(user=owner, listened_at=at, track_title="Bertha", artist_name="Band", source="web")
    assert first.pk == again.pk
    assert Listen.objects.filter(user=owner).count() == 1


def test_listen_record_same_listen_for_two_users_is_two_rows(owner, outsider):
    at = _at()
    services.listen_record(user=owner, listened_at=at, track_title="Bertha", artist_name="Band", source="web")
    services.listen_record(user=outsider, listened_at=at, track_title="Bertha", artist_name="Band", source="web")
    assert Listen.objects.count() == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"track_title": ""}, "track_title"),
    ({"artist_name": "  "}, "artist_name"),
    ({"track_title": "x" * 1001}, "track_title"),
    ({"listened_at": dt.datetime(2001, 12, 31, tzinfo=dt.UTC)}, "listened_at"),
    ({"listened_at": timezone.now() + dt.timedelta(hours=1)}, "listened_at"),
    ({"source": "spotify"}, "source"),
    ({"seconds_played": -1}, "seconds_played"),
])
def test_listen_record_rejects_bad_input_naming_the_field(owner, kwargs, field):
    args = {"user": owner, "listened_at": _at(), "track_title": "Bertha", "artist_name": "Band", "source": "web", **kwargs}
    with pytest.raises(services.ListenRejected) as info:
        services.listen_record(**args)
    assert info.value.field == field
    assert not Listen.objects.exists()


def test_listen_record_links_by_mbid_to_an_earlier_linked_listen(owner):
    services.listen_record(user=owner, listened_at=_at(60), track_title="Scarlet Begonias", artist_name="The Stylus Band",
                           source="web", recording_identifier="sb1977", filename="d1t02.flac",
                           mbids={"recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"})
    later = services.listen_record(user=owner, listened_at=_at(5), track_title="Scarlet Begonias (live)",
                                   artist_name="Stylus Band, The", source="listenbrainz",
                                   mbids={"recording_mbid": "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"})
    assert (later.recording_identifier, later.filename) == ("sb1977", "d1t02.flac")


def test_listen_record_links_by_normalised_artist_and_title(owner):
    services.listen_record(user=owner, listened_at=_at(60), track_title="Fire on the Mountain", artist_name="The Stylus Band",
                           source="web", recording_identifier="sb1977", filename="d1t03.flac")
    later = services.listen_record(user=owner, listened_at=_at(5), track_title="fire on the mountain - 2011 Remaster",
                                   artist_name="the stylus band", source="subsonic")
    assert later.recording_identifier == "sb1977"


def test_listen_record_unmatched_listen_is_kept_as_it_came(owner):
    listen = services.listen_record(user=owner, listened_at=_at(), track_title="Unknown Song", artist_name="Nobody",
                                    source="listenbrainz")
    assert Listen.objects.get(pk=listen.pk).recording_identifier == ""
    assert listen.track_title == "Unknown Song"


def test_listen_record_never_links_to_another_users_listens(owner, outsider):
    services.listen_record(user=outsider, listened_at=_at(60), track_title="Bertha", artist_name="Band", source="web",
                           recording_identifier="private-show")
    mine = services.listen_record(user=owner, listened_at=_at(5), track_title="Bertha", artist_name="Band", source="web")
    assert mine.recording_identifier == ""


def test_listens_import_skips_ones_already_stored(owner):
    items = [services.ListenIn(listened_at=_at(i), track_title=f"T{i}", artist_name="A") for i in range(1, 6)]
    assert services.listens_import(user=owner, items=items, source="import") == 5
    assert services.listens_import(user=owner, items=items + [services.ListenIn(listened_at=_at(30), track_title="New",
                                                                                 artist_name="A")], source="import") == 1
    assert Listen.objects.filter(user=owner).count() == 6


def test_play_counts_at_half_the_track_or_four_minutes():
    assert services.play_counts(seconds_played=100, duration_seconds=200)
    assert not services.play_counts(seconds_played=99, duration_seconds=200)
    assert services.play_counts(seconds_played=240, duration_seconds=1500)  # a 25-minute jam counts at 4 minutes
    assert not services.play_counts(seconds_played=239, duration_seconds=1500)
    assert not services.play_counts(seconds_played=200, duration_seconds=None)


def test_now_playing_set_is_listed_until_it_expires(owner):
    services.now_playing_set(user=owner, track_title="Bertha", artist_name="Band", source="subsonic",
                             recording_identifier="sb1977", filename="d1t01.flac", duration_seconds=300)
    rows = selectors.now_playing_list()
    assert [(r["username"], r["title"], r["recording_identifier"], r["minutes_ago"]) for r in rows] == [
        ("owner", "Bertha", "sb1977", 0)]
    from listening.models import NowPlaying

    NowPlaying.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert selectors.now_playing_list() == []


def test_listens_delete_all_removes_only_the_users_history(owner, outsider):
    for user in (owner, outsider):
        services.listen_record(user=user, listened_at=_at(), track_title="Bertha", artist_name="Band", source="web")
    assert services.listens_delete_all(user=owner) == 1
    assert list(Listen.objects.values_list("user__username", flat=True)) == ["outsider"]


def test_data_export_includes_listens_and_masks_scrobble_credentials(owner, outsider, settings, tmp_path,
                                                                     django_capture_on_commit_callbacks):
    import json
    from pathlib import Path

    from accounts.services import user_data_export_start
    from common.models import Job
    from listening.models import ListeningProfile

    settings.MEDIA_ROOT = str(tmp_path)
    services.listen_record(user=owner, listened_at=_at(), track_title="Bertha", artist_name="Band", source="web")
    services.listen_record(user=outsider, listened_at=_at(), track_title="Not Mine", artist_name="Band", source="web")
    ListeningProfile.objects.update_or_create(user=owner, defaults={"listenbrainz_token": "lb-secret-token-1234",
                                                                    "history_public": True})
    with django_capture_on_commit_callbacks(execute=True):
        job = user_data_export_start(user=owner)
    job = Job.objects.get(pk=job.pk)
    export = json.loads((Path(settings.MEDIA_ROOT) / job.result["path"]).read_text())["data"]
    assert [row["track_title"] for row in export["listening.Listen"]] == ["Bertha"]
    [profile] = export["listening.ListeningProfile"]
    assert profile["history_public"] is True
    assert "lb-secret-token-1234" not in json.dumps(export)


def test_demo_load_marks_rows_and_unload_removes_exactly_them(owner, outsider):
    from listening import demo

    services.listen_record(user=owner, listened_at=_at(), track_title="Mine", artist_name="Me", source="web")
    demo.load(user=outsider, staff=None, stdout=None)
    assert Listen.objects.filter(is_demo=True).count() > 50
    demo.unload(stdout=None)
    assert list(Listen.objects.values_list("track_title", flat=True)) == ["Mine"]


def test_listen_record_links_a_catalogue_track_and_an_album_by_normalised_names(owner):
    from albums.models import Album
    from recommend.models import Track

    track = Track.objects.create(title="Scarlet Begonias", artist_names="The Stylus Band")
    album = Album.objects.create(aoty_id=1977, title="Live at Barton Hall", artist_name="The Stylus Band")
    Track.objects.create(title="Scarlet Begonias (Other Band)", artist_names="Other Band")
    listen = services.listen_record(user=owner, listened_at=_at(), track_title="scarlet begonias",
                                    artist_name="The Stylus Band", release_name="Live at Barton Hall", source="subsonic")
    stored = Listen.objects.get(pk=listen.pk)
    assert (stored.catalogue_track_key, stored.album_id) == (str(track.pk), album.pk)


def test_listen_record_leaves_catalogue_links_empty_when_names_differ(owner):
    from recommend.models import Track

    Track.objects.create(title="Scarlet Begonias", artist_names="Someone Else")
    listen = services.listen_record(user=owner, listened_at=_at(), track_title="Scarlet Begonias",
                                    artist_name="The Stylus Band", source="subsonic")
    assert Listen.objects.get(pk=listen.pk).catalogue_track_key == ""
