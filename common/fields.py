"""EncryptedTextField: stores Fernet ciphertext; reading a value no key can decrypt yields
an UndecryptableSecret marker instead of crashing, so the UI can ask for it again."""
from __future__ import annotations

from django.db import models

from . import crypto


class UndecryptableSecret(str):
    """Falsy marker for a secret that no configured key can decrypt."""

    def __bool__(self) -> bool:
        return False


UNDECRYPTABLE = UndecryptableSecret("")


class EncryptedTextField(models.TextField):
    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return crypto.decrypt(value)
        except crypto.DecryptionFailed:
            return UNDECRYPTABLE

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or isinstance(value, UndecryptableSecret):
            return value
        return crypto.encrypt(value)
