"""API schemas for tracks."""
