"""Celery tasks for recommend: thin wrappers that take ids and call one service."""
