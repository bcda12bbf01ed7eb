"""Reads for archive."""
