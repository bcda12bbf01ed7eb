"""API schemas for archive."""
