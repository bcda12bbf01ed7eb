"""Writes for recommend."""
