"""Models for the tracks app."""
from django.db import models  # noqa: F401
