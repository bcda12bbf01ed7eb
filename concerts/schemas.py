"""API schemas for concerts."""
