"""Celery tasks for concerts: thin wrappers that take ids and call one service."""
