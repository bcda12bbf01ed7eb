"""Similar songs (getSimilarSongs2, the sonicSimilarity extension) from the recommend app's FAISS index.
Tracks without feature vectors, or no index yet, give an empty list, never an error."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from common.exceptions import StylusError
from common.types import AuthUser
from recommend import selectors as recommend_selectors
from recommend import services as recommend_services

from .. import ids
from ..protocol import SubsonicError
from .albums import song_source


def _recommend_track(*, user: AuthUser, song_id: str) -> Any:
    """The recommend catalogue track behind a song, or None."""
    ref = ids.parse(song_id)
    if ref is None:
        return None
    uploads = recommend_selectors.uploads_for_user(user=user)
    if ref.kind == "upload":
        upload = uploads.select_related("track").filter(pk=ref.number).first()
        return upload.track if upload is not None else None
    if ref.kind != "file":
        return None
    # recommend publishes no selector for a track by its external key; its own-tracks queryset names the
    # model without this app importing recommend.models.
    Track = recommend_selectors.own_tracks_for_user(user=user).model
    return (Track.objects.filter(external_key=f"ia:{ref.key}/{ref.filename}")
            .filter(Q(owner__isnull=True) | Q(owner=user)).first())


def _song_for_track(*, user: AuthUser, track: Any) -> dict[str, Any] | None:
    key = track.external_key or ""
    song_id = ""
    if key.startswith("ia:") and "/" in key:
        identifier, filename = key[3:].split("/", 1)
        song_id = ids.file_song_id(identifier, filename)
    else:
        upload = recommend_selectors.uploads_for_user(user=user).filter(track=track).first()
        if upload is not None:
            song_id = ids.upload_song_id(upload.pk)
    if not song_id:
        return None  # a Spotify-only catalogue track: nothing Stylus can play
    try:
        return song_source(user=user, song_id=song_id).song
    except SubsonicError:
        return None


def _vector(track: Any) -> Any:
    features = recommend_services.best_features(track)
    return features.as_array() if features is not None else None


def _index() -> Any:
    try:
        return recommend_services.live_index()
    except StylusError:  # no index yet: no similar songs, never an error
        return None


def _similarity(a: Any, b: Any) -> float:
    import numpy as np

    return round(float(max(0.0, min(1.0, (float(np.dot(a, b)) + 1) / 2))), 4)


def sonic_similar(*, user: AuthUser, song_id: str, count: int) -> list[dict[str, Any]]:
    """getSonicSimilarTracks: nearest neighbours in the recommend FAISS index, as playable songs."""
    track = _recommend_track(user=user, song_id=song_id)
    vector = _vector(track) if track is not None else None
    loaded = _index() if vector is not None else None
    if loaded is None:
        return []
    _scores, track_ids = loaded.search(vector, count * 4 + 1)
    Track = type(track)
    found = {t.pk: t for t in Track.objects.filter(pk__in=[int(i) for i in track_ids])
             .filter(Q(owner__isnull=True) | Q(owner=user))}
    matches: list[dict[str, Any]] = []
    for track_id in track_ids:
        candidate = found.get(int(track_id))
        if candidate is None or candidate.pk == track.pk:
            continue
        song = _song_for_track(user=user, track=candidate)
        other = _vector(candidate)
        if song is None or other is None:
            continue
        matches.append({"entry": song, "similarity": _similarity(vector, other)})
        if len(matches) >= count:
            break
    return matches


def sonic_path(*, user: AuthUser, start_id: str, end_id: str, count: int) -> list[dict[str, Any]]:
    """findSonicPath: from start to end through the nearest songs to evenly spaced points between them."""
    import numpy as np

    start, end = _recommend_track(user=user, song_id=start_id), _recommend_track(user=user, song_id=end_id)
    a = _vector(start) if start is not None else None
    b = _vector(end) if end is not None else None
    loaded = _index() if a is not None and b is not None else None
    first = _song_for_track(user=user, track=start) if start is not None else None
    last = _song_for_track(user=user, track=end) if end is not None else None
    if loaded is None or first is None or last is None or a is None or b is None:
        return []
    path = [{"entry": first, "similarity": 1.0}]
    used = {start.pk, end.pk}
    Track = type(start)
    steps = max(0, count - 2)
    for step in range(1, steps + 1):
        t = step / (steps + 1)
        point = (1 - t) * a + t * b
        norm = float(np.linalg.norm(point))
        if norm == 0:
            continue
        _scores, track_ids = loaded.search((point / norm).astype(np.float32), 10)
        candidates = {c.pk: c for c in Track.objects.filter(pk__in=[int(i) for i in track_ids])
                      .filter(Q(owner__isnull=True) | Q(owner=user))}
        for track_id in track_ids:
            candidate = candidates.get(int(track_id))
            if candidate is None or candidate.pk in used:
                continue
            song = _song_for_track(user=user, track=candidate)
            other = _vector(candidate)
            if song is None or other is None:
                continue
            used.add(candidate.pk)
            path.append({"entry": song, "similarity": _similarity(a, other)})
            break
    path.append({"entry": last, "similarity": _similarity(a, b)})
    return path
