"""Writes for digger."""
