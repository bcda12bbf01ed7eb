"""API schemas for albums."""
