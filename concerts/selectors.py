"""Reads for concerts."""
