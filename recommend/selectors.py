"""Reads for recommend."""
