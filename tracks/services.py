"""Writes for tracks."""
