"""AOTY user profiles: API and page, against our own profile page on the replay server."""
from __future__ import annotations

import pytest

from tests.albums.conftest import html_route
from users_aoty.models import AotyUser

USER_PATH = "/user/vinylmole/"


@pytest.fixture
def user_route(aoty, aoty_data):
    return html_route(aoty, USER_PATH, aoty_data / "user_profile.html")


def test_aoty_user_api_returns_profile(client, user_route, db):
    response = client.get("/api/v1/aoty-users/vinylmole")

    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["display_name"], body["ratings_count"], body["followers_count"]) == ("vinylmole", "VinylMole", 2418, 1045)
    assert [a["title"] for a in body["favorites"]] == ["To Pimp a Butterfly", "Don't Be Dumb", "Train on the Island"]
    assert [r["rating"] for r in body["recent_ratings"]] == [85, 62]
    assert body["rating_distribution"]["80-89"] == 604
    assert body["social_links"]["lastfm"] == "https://www.last.fm/user/vinylmole"


def test_aoty_user_second_call_is_served_from_storage(client, user_route, aoty, db):
    client.get("/api/v1/aoty-users/vinylmole")
    client.get("/api/v1/aoty-users/VinylMole")

    assert len(aoty.requests_to(USER_PATH)) == 1
    assert AotyUser.objects.count() == 1


def test_aoty_user_refresh_fetches_again(client, user_route, aoty, db):
    client.get("/api/v1/aoty-users/vinylmole")
    client.get("/api/v1/aoty-users/vinylmole?refresh=true")

    assert len(aoty.requests_to(USER_PATH)) == 2


def test_aoty_user_unknown_is_404(client, aoty, db):
    assert client.get("/api/v1/aoty-users/nobody-here").status_code == 404


def test_aoty_user_invalid_name_is_422(client, db):
    assert client.get("/api/v1/aoty-users/bad%20name!").status_code == 422


def test_aoty_user_blocked_with_nothing_stored_is_503(client, aoty, aoty_data, db):
    html_route(aoty, USER_PATH, aoty_data / "challenge.html", status=403)

    response = client.get("/api/v1/aoty-users/vinylmole")

    assert response.status_code == 503 and int(response["Retry-After"]) > 0


def test_aoty_user_page_draws_rating_distribution_chart(client, user_route, db):
    response = client.get("/aoty-users/vinylmole/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "VinylMole" in html and "Leeds, UK" in html
    assert html.count('<rect class="bar"') == 11
    assert "70-79: 898" in html


def test_aoty_user_index_redirects_lookup_to_profile(client, db):
    response = client.get("/aoty-users/?username=VinylMole")

    assert response.status_code == 302 and response["Location"] == "/aoty-users/vinylmole/"


def test_aoty_user_stale_profile_served_then_refreshed_in_background(client, user_route, aoty, db,
                                                                     django_capture_on_commit_callbacks):
    from django.core.cache import cache
    from django.utils import timezone

    client.get("/api/v1/aoty-users/vinylmole")
    AotyUser.objects.update(fetched_at=timezone.now() - timezone.timedelta(hours=2), followers_count=1)
    cache.clear()

    with django_capture_on_commit_callbacks(execute=True):
        body = client.get("/api/v1/aoty-users/vinylmole").json()

    assert body["stale"] is True and body["followers_count"] == 1  # the stored profile, at once
    assert len(aoty.requests_to(USER_PATH)) == 2  # the background refresh fetched it again
    assert AotyUser.objects.get().followers_count == 1045


def test_aoty_user_page_limits_fetching_unknown_profiles_not_stored_ones(client, user_route, aoty, db, settings):
    settings.API_EXTERNAL_RATE = "1/m"
    assert client.get("/aoty-users/vinylmole/").status_code == 200  # unknown: fetched from AOTY, spending the budget

    stored = client.get("/aoty-users/vinylmole/")
    unknown = client.get("/aoty-users/someone-else/")

    assert stored.status_code == 200  # stored: no call to AOTY, so no limit
    assert unknown.status_code == 429 and int(unknown["Retry-After"]) >= 1
    assert aoty.requests_to("/user/someone-else/") == []


def test_aoty_user_page_limit_counts_a_stored_profile_as_stored_however_its_name_is_written(client, user_route, db,
                                                                                             settings):
    from django.utils import timezone

    from users_aoty.models import AotyUser

    settings.API_EXTERNAL_RATE = "1/m"
    AotyUser.objects.create(username="vinyl-mole", display_name="Vinyl Mole", fetched_at=timezone.now())
    assert client.get("/aoty-users/vinylmole/").status_code == 200  # fetched: the one call of the minute

    stored = client.get("/aoty-users/Vinyl_Mole/")  # stored as "vinyl-mole": no call, so no limit

    assert stored.status_code == 200 and "Vinyl Mole" in stored.content.decode()
