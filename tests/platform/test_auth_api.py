"""Tokens for third parties: personal API tokens and the JWT pair of the original systems."""
import datetime as dt
import json

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke, jwt_pair_for

pytestmark = pytest.mark.django_db


def _post(client, url, payload, **extra):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **extra)


def test_token_obtain_returns_pair_for_username_and_email(client, owner, password):
    for login in ("owner", "owner@example.com"):
        response = _post(client, "/api/v1/auth/token", {"username": login, "password": password})
        assert response.status_code == 200, response.content
        body = response.json()
        access = jwt.decode(body["access"], settings.SECRET_KEY, algorithms=["HS256"])
        refresh = jwt.decode(body["refresh"], settings.SECRET_KEY, algorithms=["HS256"])
        assert access["type"] == "access" and refresh["type"] == "refresh"
        assert access["sub"] == str(owner.pk)
        assert 29 * 60 <= access["exp"] - access["iat"] <= 30 * 60
        assert 7 * 86400 - 5 <= refresh["exp"] - refresh["iat"] <= 7 * 86400


def test_token_obtain_bad_credentials_is_401_detail(client, owner):
    response = _post(client, "/api/v1/auth/token", {"username": "owner", "password": "wrong"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username or password."}


def test_token_refresh_rejects_access_token(client, owner):
    pair = jwt_pair_for(user=owner)
    assert _post(client, "/api/v1/auth/token/refresh", {"refresh": pair["access"]}).status_code == 401
    ok = _post(client, "/api/v1/auth/token/refresh", {"refresh": pair["refresh"]})
    assert ok.status_code == 200 and set(ok.json()) == {"access", "refresh"}


def test_access_token_authenticates_and_refresh_token_does_not(client, owner):
    pair = jwt_pair_for(user=owner)
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").json()["username"] == "owner"
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['refresh']}").status_code == 401


def test_expired_access_token_is_401(client, owner):
    now = timezone.now()
    token = jwt.encode({"sub": str(owner.pk), "type": "access", "iat": int((now - dt.timedelta(hours=2)).timestamp()),
                        "exp": int((now - dt.timedelta(hours=1)).timestamp())}, settings.SECRET_KEY, algorithm="HS256")
    response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401 and "detail" in response.json()


def test_personal_token_is_stored_hashed_and_works_until_revoked(client, owner):
    row, plaintext = api_token_create(user=owner, name="script")
    assert plaintext.startswith("sty_")
    assert plaintext not in {row.token_hash, row.prefix} and len(row.token_hash) == 64
    assert not ApiToken.objects.filter(token_hash=plaintext).exists()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert client.get("/api/v1/auth/me", **headers).status_code == 200
    assert client.get("/api/v1/auth/me", **headers).status_code == 200  # now served from the token cache
    assert api_token_revoke(user=owner, token_id=row.pk)
    assert client.get("/api/v1/auth/me", **headers).status_code == 401  # revocation is immediate despite the cache


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer sty_notarealtoken", "Basic Zm9vOmJhcg=="])
def test_missing_or_invalid_token_is_401(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/auth/me", **extra)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_account_page_creates_and_revokes_tokens(owner_client, owner):
    response = owner_client.post("/account/tokens/", {"name": "laptop"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=owner, name="laptop")
    assert token.prefix.encode() in response.content
    assert owner_client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_outsider_cannot_revoke_owners_token(outsider_client, owner):
    token, _ = api_token_create(user=owner, name="mine")
    outsider_client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_session_api_enforces_csrf(owner):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)
    assert c.post("/api/v1/metrics/reset").status_code in (401, 403)
    # A GET with the session works (safe method).
    assert c.get("/api/v1/auth/me").status_code == 200
