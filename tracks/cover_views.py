"""Cover routes for songs and album series: the stored copy of their Spotify cover, else a generated placeholder.

Pages link here instead of Spotify's CDN, so they work with no internet. (Apart from views.py, which is near
the module size limit.)
"""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.views.decorators.http import require_GET

from common.covers import cover_response

from . import selectors
from .http import AuthedHttpRequest


@login_required
@require_GET
def song_cover(request: AuthedHttpRequest, song_id: int) -> HttpResponseBase:
    """The song's stored Spotify cover, else its placeholder; for those who may see the song (404 otherwise)."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id)
    return cover_response(stored=song.spotify_cover_file, key=f"tracks-song:{song.pk}",
                          title=song.spotify_album or song.album or song.title)


@login_required
@require_GET
def series_cover(request: AuthedHttpRequest, series_id: int) -> HttpResponseBase:
    """The series' stored Spotify cover, else its placeholder; the owner's only (404 otherwise)."""
    series = selectors.album_series_get_for_user(user=request.user, series_id=series_id)
    return cover_response(stored=series.cover_file, key=f"tracks-series:{series.pk}", title=series.album)
