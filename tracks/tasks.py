"""Celery tasks for tracks: thin wrappers that take ids and call one service."""
