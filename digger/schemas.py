"""API schemas for digger."""
