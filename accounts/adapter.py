"""allauth's account adapter, adjusted in two places: the site's name in e-mails, and one lockout per account."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import force_str


@dataclass(frozen=True)
class ConfiguredSite:
    """Quacks like django.contrib.sites' Site for allauth's mail templates (`current_site.name/.domain`)."""

    name: str
    domain: str


def configured_site() -> ConfiguredSite:
    """The installation's name and domain from SITE_NAME / SITE_DOMAIN (never the "example.com" Site row)."""
    return ConfiguredSite(name=settings.SITE_NAME, domain=settings.SITE_DOMAIN)


def login_lockout_key(login: str) -> str:
    """The key of allauth's per-account `login_failed` budget: the account's username, lower-cased.

    allauth keys on what was typed, so "owner" and "owner@example.com" would be two budgets for one
    account, and the API's login would be a third. One key per account, whichever way it is named.
    """
    from django.contrib.auth import get_user_model

    typed = (login or "").strip()
    if "@" in typed:
        user = get_user_model().objects.filter(email__iexact=typed).only("username").first()
        if user is not None:
            typed = user.get_username()
    return f"{settings.SITE_DOMAIN}:{typed.lower()}"


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", None)
        if prefix is None:
            prefix = f"[{settings.SITE_NAME}] "
        return prefix + force_str(subject)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth fills current_site from the Site row; ours comes from settings.
        super().send_mail(template_prefix, email, {**context, "current_site": configured_site()})

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return login_lockout_key(credentials.get("email") or credentials.get("username") or "")
