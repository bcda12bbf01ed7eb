"""EncryptedTextField: stores Fernet ciphertext; reading a value no key can decrypt yields
an UndecryptableSecret marker instead of crashing, so the UI can ask for it again."""
from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class UndecryptableSecret(str):
    """Falsy marker for a secret that no configured key can decrypt."""

    def __bool__(self) -> bool:
        return False


UNDECRYPTABLE = UndecryptableSecret("")


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # django-stubs' field generics add nothing here
    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value in (None, ""):
            return value
        try:
            return crypto.decrypt(value)
        except crypto.DecryptionFailed:
            return UNDECRYPTABLE

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, "") or isinstance(value, UndecryptableSecret):
            return value
        return crypto.encrypt(value)
