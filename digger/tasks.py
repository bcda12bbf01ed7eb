"""Celery tasks for digger: thin wrappers that take ids and call one service."""
