"""Writes for albums."""
