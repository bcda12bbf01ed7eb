"""Spotify Web API client (client credentials and user tokens). See client.py for the public methods."""
from .client import SpotifyClient, parse_spotify_link
from .errors import InvalidSpotifyLink
from .types import SpotifyRef

__all__ = ["InvalidSpotifyLink", "SpotifyClient", "SpotifyRef", "parse_spotify_link"]
