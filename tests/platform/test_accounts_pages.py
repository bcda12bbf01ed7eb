import pytest

pytestmark = pytest.mark.django_db


def test_login_page_hides_spotify_with_note_when_unconfigured(client, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    html = client.get("/accounts/login/").content.decode()
    assert "Log in with Spotify is not available" in html
    assert "/accounts/spotify/login/" not in html


def test_login_page_offers_spotify_when_configured(client, settings):
    settings.SPOTIFY_CLIENT_ID = "abc"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "spotify": {"APPS": [{"client_id": "abc", "secret": "def"}], "OAUTH_PKCE_ENABLED": True, "SCOPE": ["user-read-email"]}
    }
    html = client.get("/accounts/login/").content.decode()
    assert "/accounts/spotify/login/" in html
    assert "not available" not in html


def test_spotify_login_redirect_uses_pkce(client, settings):
    settings.SPOTIFY_CLIENT_ID = "abc"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "spotify": {"APPS": [{"client_id": "abc", "secret": "def"}], "OAUTH_PKCE_ENABLED": True, "SCOPE": ["user-read-email"]}
    }
    response = client.post("/accounts/spotify/login/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://accounts.spotify.com/authorize")
    assert "code_challenge=" in location and "code_challenge_method=S256" in location


def test_password_reset_sends_email(client, owner, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "owner@example.com" in mailoutbox[0].to


def test_login_refuses_open_redirect(client, owner, password):
    response = client.post("/accounts/login/?next=https://evil.example.com/", {"login": "owner", "password": password})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example.com")


def test_account_page_requires_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_job_is_private(owner_client, outsider_client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/account/export/")
    job_url = response["Location"]
    assert owner_client.get(job_url).status_code == 200
    assert outsider_client.get(job_url).status_code == 404
