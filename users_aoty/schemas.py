"""API schemas for users_aoty."""
