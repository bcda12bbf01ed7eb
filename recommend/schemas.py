"""API schemas for recommend."""
