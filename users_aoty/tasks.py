"""Celery tasks for users_aoty: thin wrappers that take ids and call one service."""
