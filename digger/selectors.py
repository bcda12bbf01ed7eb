"""Reads for digger."""
