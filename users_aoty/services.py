"""Writes for users_aoty."""
