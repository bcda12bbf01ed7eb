"""Sign-up: it does not reveal which e-mails are registered, and its e-mails name this installation."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _deployed_verification(settings):
    # What a deployment runs with (config/settings/test.py turns verification off for the rest of the suite).
    from config.settings import base

    settings.ACCOUNT_EMAIL_VERIFICATION = base.ACCOUNT_EMAIL_VERIFICATION


def _signup(client, *, email: str, username: str):
    return client.post("/accounts/signup/", {"email": email, "username": username,
                                             "password1": "a-long-and-unusual-passphrase", "password2": "a-long-and-unusual-passphrase"})


def test_signup_does_not_reveal_registered_emails(client, owner):
    taken = _signup(client, email=owner.email, username="newcomer1")
    fresh = _signup(client.__class__(), email="someone.new@mail.test", username="newcomer2")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert b"already" not in taken.content
    assert not get_user_model().objects.filter(username="newcomer1").exists()  # no second account for the address
    to_owner = [m for m in mail.outbox if owner.email in m.to]
    assert len(to_owner) == 1 and "already" in to_owner[0].body.lower()  # the address's owner is told instead


def test_signup_emails_use_site_name_and_domain(client, settings):
    settings.SITE_NAME, settings.SITE_DOMAIN = "Crate Club", "crate.club.test"
    assert _signup(client, email="digger@mail.test", username="digger").status_code == 302
    [message] = mail.outbox
    assert message.subject.startswith("[Crate Club] ")
    assert "Crate Club" in message.body and "crate.club.test" in message.body
    assert "example.com" not in message.subject + message.body
