"""Models for the albums app."""
from django.db import models  # noqa: F401
