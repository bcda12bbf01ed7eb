"""Celery tasks for albums: thin wrappers that take ids and call one service."""
