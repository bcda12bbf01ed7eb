"""The recommend router, mounted at /api/v1/recommend."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router

from common.api import auth_optional, auth_required, auth_staff, external_throttle, request_user
from common.exceptions import InvalidInput
from common.models import Job
from common.schemas import errors
from common.types import AuthUser
from integrations.spotify.client import parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink

from . import selectors, services
from .schemas import RecommendCatalogueOut, RecommendHealthOut, RecommendIn, RecommendJobOut, RecommendOut, RecommendPlaylistIn

router = Router(tags=["Recommend"])


def _owner(request: HttpRequest) -> AuthUser:
    """The signed-in user of an auth_required operation (ninja authenticated it before the body runs)."""
    user = request_user(request)
    if user is None:  # unreachable behind auth_required; it keeps the type honest
        raise PermissionDenied("Sign in first.")
    return user


def _job_out(job: Job) -> RecommendJobOut:
    return RecommendJobOut(job_id=job.pk, status=job.status, label=job.label, ws_url=f"/ws/progress/job/{job.pk}/")


def recommendation_payload(result: services.RecommendationResult) -> dict:
    """The API (and page JSON) shape of a result."""
    return {
        "seed": {"kind": result.kind, "title": result.seed_title, "source": result.seed_source,
                 "confidence": result.seed_confidence, "tracks": [t.spotify_id or str(t.pk) for t in result.seed_tracks]},
        "index_version": result.index_version,
        "notes": result.notes,
        "items": [
            {"spotify_id": r.track.spotify_id, "title": r.track.title,
             "artists": r.artists,
             "album": r.track.album.title if r.track.album is not None else None, "year": r.track.year,
             "cover_url": r.track.cover_url, "preview_url": r.track.preview_url, "spotify_url": r.track.spotify_url,
             "similarity": r.similarity, "explanation": r.explanation, "source": r.source,
             "confidence": r.confidence, "genres": r.genres}
            for r in result.items
        ],
    }


@router.get("/health", response={200: RecommendHealthOut, **errors(401)}, auth=auth_optional, summary="Index health")
def health(request: HttpRequest):
    status = selectors.index_status()
    return RecommendHealthOut(ok=status["ok"], index_size=status["index_size"], index_type=status["index_type"],
                     built_at=status["built_at"], message=status["message"])


@router.post("", response={200: RecommendOut, **errors(401, 404, 422, 429, 503)}, auth=auth_optional,
             throttle=external_throttle(),
             summary="Recommendations for a Spotify track or playlist link")
def recommend(request: HttpRequest, payload: RecommendIn):
    result = services.recommend_from_link(user=request_user(request), url=payload.url, limit=payload.limit,
                                          market=payload.market)
    return recommendation_payload(result)


@router.get("/catalogue", response={200: RecommendCatalogueOut, **errors(401)}, auth=auth_optional,
            summary="Catalogue counts and index status")
def catalogue(request: HttpRequest):
    counts = selectors.catalogue_counts()
    status = selectors.index_status()
    return {**counts, "index": {k: status[k] for k in ("ok", "index_size", "index_type", "built_at", "message")}}


@router.post("/playlists", response={202: RecommendJobOut, **errors(401, 422, 429, 503)}, auth=auth_required,
             throttle=external_throttle(),
             summary="Import a Spotify playlist into the catalogue (a job with progress)")
def playlist_import(request: HttpRequest, payload: RecommendPlaylistIn):
    try:
        ref = parse_spotify_link(payload.url, kinds=("playlist",))
    except InvalidSpotifyLink as exc:
        raise InvalidInput(str(exc), field="url") from exc
    return 202, _job_out(services.playlist_ingest_start(user=_owner(request), spotify_id=ref.id))


@router.post("/library", response={202: RecommendJobOut, **errors(401, 422, 429, 503)}, auth=auth_required,
             throttle=external_throttle(),
             summary="Import my Spotify playlists and saved tracks (needs a Spotify login)")
def library_import(request: HttpRequest):
    return 202, _job_out(services.library_import_start(user=_owner(request)))


@router.post("/analyse-archive", response={202: RecommendJobOut, **errors(401)}, auth=auth_required,
             summary="Analyse my downloaded archive recordings (a job with progress)")
def analyse_archive(request: HttpRequest):
    return 202, _job_out(services.features_from_archive_downloads(user=_owner(request)))


@router.post("/index/rebuild", response={202: RecommendJobOut, **errors(401, 403)}, auth=auth_staff,
             summary="Rebuild the index (staff)")
def index_rebuild(request: HttpRequest):
    return 202, _job_out(services.index_rebuild_start(user=_owner(request)))
