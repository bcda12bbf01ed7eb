"""Models for the recommend app."""
from django.db import models  # noqa: F401
