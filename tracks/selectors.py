"""Reads for tracks."""
