"""AOTY usernames are matched whole (fullmatch): a trailing newline or other junk is a 4xx, never a 500."""
from __future__ import annotations

import pytest

from common.exceptions import InvalidInput
from users_aoty import services


@pytest.mark.parametrize("username", ["vinylmole%0A", "vinylmole%0D%0A", "vinyl mole", "a" * 61, "../admin", "vinyl%00"])
def test_aoty_user_api_with_bad_username_is_422_without_reaching_aoty(client, aoty, db, username):
    response = client.get(f"/api/v1/aoty-users/{username}")

    assert response.status_code in (404, 422)
    assert "detail" in response.json()
    assert aoty.requests == []


def test_aoty_user_api_trailing_newline_is_422_naming_the_field(client, aoty, db):
    response = client.get("/api/v1/aoty-users/vinylmole%0A")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "username"


def test_aoty_user_page_with_trailing_newline_is_404(client, aoty, db):
    response = client.get("/aoty-users/vinylmole%0A/")

    assert response.status_code == 404
    assert aoty.requests == []


def test_username_normalize_refuses_trailing_newline():
    with pytest.raises(InvalidInput):
        services.username_normalize("vinylmole\n")
    assert services.username_normalize("Vinyl_Mole") == "vinyl-mole"
