"""Cached credentials end when the account's do: a password change, a deactivation or a deletion
bumps the revocation epoch once the change commits, from whichever path made it (allauth, the
admin, the shell). Only a cache write, and only after commit."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from common.types import AuthUser


def _bump_after_commit() -> None:
    from .services import auth_epoch_bump

    transaction.on_commit(auth_epoch_bump)


def user_credentials_changing(sender: type[AuthUser], instance: AuthUser, update_fields: Any = None,
                              raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: nothing that ends a credential
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        _bump_after_commit()


def user_deleted(sender: type[AuthUser], instance: AuthUser, **kwargs: Any) -> None:
    _bump_after_commit()
