"""Celery tasks for archive: thin wrappers that take ids and call one service."""
