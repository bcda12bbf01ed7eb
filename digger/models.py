"""Models for the digger app."""
from django.db import models  # noqa: F401
