"""One failed-login budget per account, whichever door the guesses come through (form or API)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lockout_on(settings):
    # config/settings/test.py turns allauth's limits off for the rest of the suite; these are base.py's.
    from config.settings import base

    settings.ACCOUNT_RATE_LIMITS = base.ACCOUNT_RATE_LIMITS


def _api_login(client, login: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/api/v1/auth/token", data=json.dumps({"username": login, "password": password}),
                       content_type="application/json", REMOTE_ADDR=ip)


def _form_login(client, login: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/accounts/login/", {"login": login, "password": password}, REMOTE_ADDR=ip)


def test_api_login_is_locked_after_failed_form_logins(client, owner, password):
    for _ in range(5):
        assert _form_login(client, "owner", "wrong").status_code == 200  # the form re-rendered with an error
    locked = _api_login(client, "owner", password, ip="198.51.100.20")  # the right password, from elsewhere
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 1
    assert "access" not in locked.json() and "detail" in locked.json()


def test_form_login_is_locked_after_failed_api_logins(client, owner, password):
    for _ in range(5):
        assert _api_login(client, "owner", "wrong").status_code == 401
    response = _form_login(client, "owner", password, ip="198.51.100.21")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session  # not logged in


def test_failures_by_email_and_by_username_share_the_account_budget(client, owner, password):
    for login in ("owner@example.com", "OWNER", "owner@example.com", "owner", "Owner@Example.com"):
        assert _api_login(client, login, "wrong").status_code == 401
    assert _api_login(client, "owner", password, ip="198.51.100.22").status_code == 429


def test_right_password_does_not_unlock_a_locked_account_early(client, owner, password):
    for _ in range(5):
        _api_login(client, "owner", "wrong")
    for _ in range(3):
        response = _api_login(client, "owner", password)
        assert response.status_code == 429, response.content
    # Another account is not affected.
    from tests.factories import UserFactory

    UserFactory(username="bystander")
    assert _api_login(client, "bystander", password, ip="198.51.100.23").status_code == 200


def test_a_successful_login_does_not_spend_the_budget(client, owner, password):
    for _ in range(10):
        assert _api_login(client, "owner", password, ip=f"198.51.100.{_}").status_code == 200
    for _ in range(4):
        _api_login(client, "owner", "wrong", ip="198.51.100.99")
    assert _api_login(client, "owner", password, ip="198.51.100.98").status_code == 200
