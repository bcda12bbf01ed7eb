"""Tokens end with the events that should end them: rotation, reuse, password change, log out everywhere,
deactivation, revocation (immediately, with the per-process token memory on)."""
from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from accounts import services
from accounts.models import ApiToken, RefreshToken
from common.api import AUTH_EPOCH_KEY

pytestmark = pytest.mark.django_db


def _refresh(client, token: str):
    return client.post("/api/v1/auth/token/refresh", data=json.dumps({"refresh": token}), content_type="application/json")


def _me(client, token: str) -> int:
    return client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_refresh_token_works_once_and_rotates(client, owner):
    pair = services.jwt_pair_for(user=owner)
    first = _refresh(client, pair["refresh"])
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh"] != pair["refresh"]
    assert _refresh(client, rotated["refresh"]).status_code == 200  # the new one works, once


def test_reusing_a_spent_refresh_token_revokes_its_family(client, owner):
    pair = services.jwt_pair_for(user=owner)
    stolen = pair["refresh"]
    rotated = _refresh(client, stolen).json()  # the legitimate client rotates
    other_login = services.jwt_pair_for(user=owner)  # another device: its own family

    assert _refresh(client, stolen).status_code == 401  # the thief replays the spent one
    assert _refresh(client, rotated["refresh"]).status_code == 401  # the whole family is gone
    family = RefreshToken.objects.filter(user=owner).exclude(revoked_at=None).values_list("family", flat=True)
    assert len(set(family)) == 1
    assert _refresh(client, other_login["refresh"]).status_code == 200  # the other device is unaffected


def test_password_change_ends_access_and_refresh_tokens_at_once(client, owner):
    pair = services.jwt_pair_for(user=owner)
    assert _me(client, pair["access"]) == 200
    owner.set_password("a-new-long-passphrase")
    owner.save()
    assert _me(client, pair["access"]) == 401
    assert _refresh(client, pair["refresh"]).status_code == 401
    fresh = services.jwt_pair_for(user=owner)
    assert _me(client, fresh["access"]) == 200


def test_logout_everywhere_ends_jwts_and_sessions(client, owner, owner_client):
    pair = services.jwt_pair_for(user=owner)
    response = client.post("/api/v1/auth/logout-all", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.status_code == 200
    assert _me(client, pair["access"]) == 401
    assert _refresh(client, pair["refresh"]).status_code == 401
    assert owner_client.get("/account/").status_code == 302  # the browser session ended too


def test_logout_everywhere_from_the_account_page(owner_client, owner, client):
    pair = services.jwt_pair_for(user=owner)
    assert owner_client.post("/account/logout-all/").status_code == 302
    assert _refresh(client, pair["refresh"]).status_code == 401
    assert owner_client.get("/account/").status_code == 302


def test_deactivation_ends_refresh_and_personal_tokens_at_once(client, owner, django_capture_on_commit_callbacks):
    pair = services.jwt_pair_for(user=owner)
    _, personal = services.api_token_create(user=owner, name="script")
    assert _me(client, personal) == 200  # now remembered in the shared cache and in this process
    with django_capture_on_commit_callbacks(execute=True):  # the epoch moves once the change commits
        owner.is_active = False
        owner.save()
    assert _me(client, personal) == 401
    assert _refresh(client, pair["refresh"]).status_code == 401


def test_revoked_token_is_refused_within_the_same_second_with_in_process_caching(client, owner):
    """Another process revokes the token: this process still remembers it, but the throttle's round trip
    sees the revocation epoch move and the token is checked afresh."""
    row, personal = services.api_token_create(user=owner, name="script")
    assert _me(client, personal) == 200
    assert services.bearer_token_remembered(token=personal) is not None  # in-process memory is on

    # What api_token_revoke does in another process: the row and the shared epoch, not this process's memory.
    ApiToken.objects.filter(pk=row.pk).update(revoked_at=row.created_at)
    cache.add(AUTH_EPOCH_KEY, 0, None)
    cache.incr(AUTH_EPOCH_KEY)
    assert services.bearer_token_remembered(token=personal) is not None
    assert _me(client, personal) == 401


def test_remembered_token_costs_no_extra_round_trip(client, owner, django_assert_num_queries):
    _, personal = services.api_token_create(user=owner, name="script")
    assert _me(client, personal) == 200
    with django_assert_num_queries(0):
        assert _me(client, personal) == 200


def test_remembered_token_request_makes_one_cache_round_trip(client, owner, monkeypatch):
    """The throttle's pipelined call is the only trip to the shared cache (it also reads the epoch)."""
    from common.cache import FallbackCache

    _, personal = services.api_token_create(user=owner, name="script")
    assert _me(client, personal) == 200
    calls: list[str] = []
    for name in ("_call", "incr_and_get"):
        original = getattr(FallbackCache, name)
        monkeypatch.setattr(FallbackCache, name, lambda self, *a, _o=original, _n=name, **k: calls.append(_n) or _o(self, *a, **k))
    assert _me(client, personal) == 200
    assert calls == ["incr_and_get"]
