"""Writes for concerts."""
