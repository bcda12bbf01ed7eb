"""Discogs: the authenticated API, the public marketplace pages, and a rate limiter shared by all workers."""
