"""Reads for albums."""
