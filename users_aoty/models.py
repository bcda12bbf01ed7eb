"""Models for the users_aoty app."""
from django.db import models  # noqa: F401
