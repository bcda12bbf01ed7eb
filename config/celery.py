"""The Celery app. Safe-work defaults live in settings (CELERY_*); see common/tasks.py for the base task."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
app = Celery("stylus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
