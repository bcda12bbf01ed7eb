"""Spotify login: importing the user's library, saving recommendations, the beat schedule, admin pages."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from common.models import Job
from recommend import services
from recommend.models import Playlist, SavedTrack

from .conftest import ROCK_SEED


@pytest.fixture
def spotify_login(owner):
    from allauth.socialaccount.models import SocialAccount, SocialToken

    account = SocialAccount.objects.create(user=owner, provider="spotify", uid="owner-spotify")
    return SocialToken.objects.create(account=account, token="user-access-token",
                                      expires_at=timezone.now() + dt.timedelta(hours=1))


def test_library_import_needs_a_spotify_login(owner_client, owner, db):
    response = owner_client.post(reverse("recommend:library_import"))
    assert response.status_code == 302 and response.url == reverse("recommend:playlists")
    assert not Job.objects.filter(kind="recommend.library").exists()


def test_expired_spotify_token_counts_as_no_login(spotify_login, owner):
    spotify_login.expires_at = timezone.now() - dt.timedelta(minutes=1)
    spotify_login.save()
    assert services.spotify_token_for(owner) is None


@pytest.fixture
def spotify_accounts(settings, replay):
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_CLIENT_ID = "client-id"
    settings.SPOTIFY_CLIENT_SECRET = "client-secret"
    return replay


def test_expired_spotify_token_is_refreshed_with_the_stored_refresh_token(spotify_login, owner, spotify_accounts):
    from urllib.parse import parse_qs

    spotify_login.expires_at = timezone.now() - dt.timedelta(minutes=1)
    spotify_login.token_secret = "refresh-1"
    spotify_login.save()
    spotify_accounts.add("/api/token", method="POST", json_body={
        "access_token": "fresh-access", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "refresh-2"})

    assert services.spotify_token_for(owner) == "fresh-access"
    assert services.spotify_token_for(owner) == "fresh-access"  # now fresh: no second refresh

    sent = spotify_accounts.requests_to("/api/token")
    assert len(sent) == 1
    assert parse_qs(sent[0].body.decode()) == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"]}
    assert sent[0].headers["Authorization"].startswith("Basic ")
    spotify_login.refresh_from_db()
    assert (spotify_login.token, spotify_login.token_secret) == ("fresh-access", "refresh-2")  # rotated, kept
    assert spotify_login.expires_at > timezone.now() + dt.timedelta(minutes=55)


def test_revoked_spotify_refresh_token_counts_as_no_login_and_keeps_the_row(spotify_login, owner, spotify_accounts):
    spotify_login.expires_at = timezone.now() - dt.timedelta(minutes=1)
    spotify_login.token_secret = "revoked"
    spotify_login.save()
    spotify_accounts.add("/api/token", method="POST", status=400,
                         json_body={"error": "invalid_grant", "error_description": "Refresh token revoked"})

    assert services.spotify_token_for(owner) is None

    spotify_login.refresh_from_db()
    assert (spotify_login.token, spotify_login.token_secret) == ("user-access-token", "revoked")


def test_fresh_spotify_token_is_used_without_asking_spotify(spotify_login, owner, spotify_accounts):
    spotify_login.token_secret = "refresh-1"
    spotify_login.save()

    assert services.spotify_token_for(owner) == "user-access-token"
    assert spotify_accounts.requests_to("/api/token") == []


def test_library_import_uses_the_users_token(spotify_login, owner, owner_client, spotify_settings, data_dir,
                                             django_capture_on_commit_callbacks):
    replay = spotify_settings
    folder = data_dir / "spotify"
    track = (folder / "track.json").read_text()
    replay.add("/v1/me/tracks", body='{"items": [{"added_at": "2024-01-01T00:00:00Z", "track": ' + track + '}], '
                                     '"total": 1, "offset": 0, "limit": 50, "next": null}',
               content_type="application/json")
    replay.add("/v1/me/playlists", json_body={"items": [{"id": "37i9dQZF1DXcBWIGoYBM5M", "name": "Mine",
                                                          "owner": {"id": "me"}, "public": False}],
                                              "total": 1, "offset": 0, "limit": 50, "next": None})
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M", file=folder / "playlist.json")
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items", query={"offset": "0"},
               file=folder / "playlist_items_page1.json")
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items", query={"offset": "2"},
               file=folder / "playlist_items_page2.json")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("recommend:library_import"))
    job = Job.objects.get(kind="recommend.library")
    assert response.url == reverse("recommend:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    assert SavedTrack.objects.filter(user=owner, track__spotify_id="3SVAN3BRByDmHOhKyIDxfC").exists()
    assert owner in Playlist.objects.get(spotify_id="37i9dQZF1DXcBWIGoYBM5M").imported_by.all()
    assert all(r.headers["Authorization"] == "Bearer user-access-token"
               for r in replay.requests if r.path.startswith("/v1/"))
    assert replay.requests_to("/api/token", "POST") == []


def test_save_recommendations_to_spotify(spotify_login, owner_client, spotify_settings, catalogue):
    replay = spotify_settings
    replay.add("/v1/me/playlists", method="POST", status=201,
               json_body={"id": "5ZcEYpjA9oz9GiPac4AsH4", "name": "Like it", "owner": {"id": "me"}})
    replay.add("/v1/playlists/5ZcEYpjA9oz9GiPac4AsH4/items", method="POST", status=201, json_body={"snapshot_id": "x"})
    response = owner_client.post(reverse("recommend:save_playlist"),
                                 {"name": "Like it", "spotify_id": [ROCK_SEED, "bad id"],
                                  "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("recommend:index")
    sent = replay.requests_to("/v1/playlists/5ZcEYpjA9oz9GiPac4AsH4/items", "POST")
    assert sent and f"spotify:track:{ROCK_SEED}".encode() in sent[0].body and b"bad id" not in sent[0].body


def test_nightly_rebuild_is_scheduled_by_post_migrate(db):
    from django_celery_beat.models import PeriodicTask

    services.schedule_nightly_rebuild()
    services.schedule_nightly_rebuild()
    task = PeriodicTask.objects.get(name="recommend: nightly index rebuild")
    assert task.task == "recommend.tasks.nightly_rebuild_task" and task.enabled
    assert PeriodicTask.objects.filter(task="recommend.tasks.nightly_rebuild_task").count() == 1


def test_nightly_task_rebuilds_the_index(catalogue):
    from recommend import index as faiss_index
    from recommend.tasks import nightly_rebuild_task

    before = faiss_index.read_manifest().version
    nightly_rebuild_task.delay()
    assert faiss_index.read_manifest().version == before + 1


def test_admin_pages_render_with_import_and_rebuild(staff_client, catalogue, small_csv,
                                                    django_capture_on_commit_callbacks):
    for name in ("track", "trackfeatures", "playlist", "indexbuild", "artist", "album", "audioupload"):
        assert staff_client.get(reverse(f"admin:recommend_{name}_changelist")).status_code == 200
    assert "Import a dataset" in staff_client.get(reverse("admin:recommend_trackfeatures_changelist")).content.decode()
    with small_csv.open("rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:recommend_trackfeatures_import"), {"csv_file": fh, "mapping": ""})
    job = Job.objects.get(kind="recommend.import")
    assert response.url == reverse("recommend:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["updated"] == 41
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:recommend_indexbuild_rebuild"))
    rebuild = Job.objects.get(kind="recommend.rebuild")
    assert response.url == reverse("recommend:job", args=[rebuild.pk])
    assert rebuild.status == "succeeded"


def test_home_page_shows_the_recommend_card(owner_client, owner, catalogue):
    html = owner_client.get("/").content.decode()
    assert "Recommended for you" in html
