"""Reads for users_aoty."""
