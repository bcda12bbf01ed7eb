"""Writes for archive."""
