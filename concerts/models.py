"""Models for the concerts app."""
from django.db import models  # noqa: F401
