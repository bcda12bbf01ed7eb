"""The Tracks API under /api/v1/tracks/: songs, checklist, workflow, packs, album series, collaborations,
achievements, profiles and Spotify enrichment. Access follows tracks/permissions.py: another user's
private object is 404, a visible object you may not change is 403."""
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import File, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from common.api import Pagination, auth_optional, auth_required, external_throttle, request_user
from common.schemas import errors
from common.types import AuthUser

from . import selectors, services
from .models import Song
from .permissions import Role
from .schemas import (
    AchievementsOut,
    AlbumSeriesDetailOut,
    AlbumSeriesIn,
    AlbumSeriesOut,
    AlbumSeriesPatch,
    BulkEnrichIn,
    CollaborationBatchIn,
    CollaborationFilter,
    CollaborationIn,
    CollaborationOut,
    CollaborationPatch,
    CountOut,
    DashboardOut,
    EnrichIn,
    EnrichOut,
    JobOut,
    PackFilter,
    PackIn,
    PackOut,
    PackPatch,
    PackReleaseIn,
    PlaylistImportIn,
    PlaylistImportOut,
    ProfileIn,
    ProfileOut,
    PublicProfileOut,
    SeriesFilter,
    SongBatchIn,
    SongBulkPackIn,
    SongBulkStatusIn,
    SongDetailOut,
    SongFilter,
    SongIdsIn,
    SongIn,
    SongOut,
    SongPatch,
    SpotifyMatchOut,
    StatsOut,
    StepSetIn,
    TrackMarkIn,
    WorkflowOrderIn,
    WorkflowStepIn,
    WorkflowStepOut,
    WorkflowStepPatch,
)

router = Router(tags=["Tracks"], auth=auth_required)


def _owner(request: HttpRequest) -> AuthUser:
    """The signed-in user of an auth_required operation (ninja authenticated it before the body runs)."""
    user = request_user(request)
    if user is None:  # unreachable behind auth_required; it keeps the type honest
        raise PermissionDenied("Sign in first.")
    return user


def _song_out(request: HttpRequest, song_id: int):
    return selectors.song_get_for_user(user=_owner(request), song_id=song_id)


# -- songs ---------------------------------------------------------------------------------------------
class SongPagination(Pagination):
    """Page of songs with their checklist progress attached in one grouped query."""

    # ninja passes request by keyword; taking it as an optional keyword fits both ninja's signature and
    # common.api.Pagination's (which takes it among **params).
    def paginate_queryset(self, queryset: QuerySet[Song], pagination: Any, request: HttpRequest | None = None,
                          **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = selectors.attach_progress(page["items"])
        return page


@router.get("/songs", response={200: list[SongOut], **errors(401, 422)}, summary="Songs you own or collaborate on")
@paginate(SongPagination)
def song_list(request: HttpRequest, filters: Query[SongFilter]):
    user = _owner(request)
    if filters.search:
        from common.services import search_log_record

        search_log_record(section="tracks", query=filters.search, user=user)
    return selectors.song_list(user=user, **filters.model_dump())


@router.post("/songs", response={201: SongDetailOut, **errors(401, 422)}, summary="Create a song")
def song_create(request: HttpRequest, payload: SongIn):
    song = services.song_create(user=_owner(request), data=payload.model_dump())
    return Status(201, _song_out(request, song.pk))


@router.post("/songs/batch", response={201: list[SongOut], **errors(401, 422)},
             summary="Create several songs, in order, all or none")
def song_batch_create(request: HttpRequest, payload: SongBatchIn):
    user = _owner(request)
    songs = services.songs_batch_create(user=user, items=[s.model_dump() for s in payload.songs])
    by_id = {s.pk: s for s in selectors.attach_progress(
        selectors.song_list(user=user, scope="mine").filter(pk__in=[s.pk for s in songs]))}
    return Status(201, [by_id[s.pk] for s in songs])


@router.post("/songs/bulk-delete", response={200: CountOut, **errors(401, 403, 404, 422)},
             summary="Delete your songs, all or none")
def song_bulk_delete(request: HttpRequest, payload: SongIdsIn):
    return {"count": services.songs_bulk_delete(user=_owner(request), song_ids=payload.ids)}


@router.post("/songs/bulk-status", response={200: CountOut, **errors(401, 403, 404, 422)},
             summary="Move songs to a status, all or none")
def song_bulk_status(request: HttpRequest, payload: SongBulkStatusIn):
    return {"count": services.songs_bulk_status(user=_owner(request), song_ids=payload.ids, status=payload.status)}


@router.post("/songs/bulk-pack", response={200: CountOut, **errors(401, 403, 404, 422)},
             summary="Put your songs in one of your packs (or none)")
def song_bulk_pack(request: HttpRequest, payload: SongBulkPackIn):
    return {"count": services.songs_bulk_add_to_pack(user=_owner(request), song_ids=payload.ids,
                                                     pack_id=payload.pack_id)}


@router.post("/songs/import-playlist", response={201: PlaylistImportOut, **errors(401, 422, 429, 503)},
             throttle=external_throttle(),
             summary="Import a Spotify playlist as Future Plans songs")
def song_import_playlist(request: HttpRequest, payload: PlaylistImportIn):
    user = _owner(request)
    created, skipped = services.playlist_import(user=user, url=payload.url)
    by_id = {s.pk: s for s in selectors.attach_progress(
        selectors.song_list(user=user, scope="mine").filter(pk__in=[s.pk for s in created]))}
    songs = [by_id[s.pk] for s in created]  # playlist order
    return Status(201, {"created": len(created), "skipped": skipped, "songs": songs})


@router.post("/songs/enrich", response={202: JobOut, **errors(401, 422, 429, 503)}, throttle=external_throttle(),
             summary="Enrich songs from Spotify in the background (progress on the job)")
def song_bulk_enrich(request: HttpRequest, payload: BulkEnrichIn):
    job = services.songs_enrich_bulk_start(user=_owner(request), song_ids=payload.ids)
    return Status(202, job)


@router.get("/songs/{song_id}", response={200: SongDetailOut, **errors(401, 404, 422)},
            summary="One song with its checklist")
def song_get(request: HttpRequest, song_id: int):
    return _song_out(request, song_id)


@router.put("/songs/{song_id}", response={200: SongDetailOut, **errors(401, 403, 404, 422)},
            summary="Replace a song's fields")
def song_replace(request: HttpRequest, song_id: int, payload: SongIn):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=song_id, need=Role.EDITOR)
    data = payload.model_dump()
    if song.owner_id != user.pk:  # filing into packs and series is the owner's; keep the current ones
        data.pop("pack_id"), data.pop("album_series_id")
    services.song_update(user=user, song=song, data=data)
    return _song_out(request, song_id)


@router.patch("/songs/{song_id}", response={200: SongDetailOut, **errors(401, 403, 404, 422)},
              summary="Change some of a song's fields")
def song_update(request: HttpRequest, song_id: int, payload: SongPatch):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=song_id, need=Role.EDITOR)
    services.song_update(user=user, song=song, data=payload.model_dump(exclude_unset=True))
    return _song_out(request, song_id)


@router.delete("/songs/{song_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete a song (owner)")
def song_delete(request: HttpRequest, song_id: int):
    user = _owner(request)
    services.song_delete(user=user, song=selectors.song_get_for_user(user=user, song_id=song_id, need=Role.OWNER))
    return Status(204, None)


@router.put("/songs/{song_id}/steps/{step_id}", response={200: SongDetailOut, **errors(401, 403, 404, 422)},
            summary="Tick or untick a checklist step")
def song_step_set(request: HttpRequest, song_id: int, step_id: int, payload: StepSetIn):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=song_id, need=Role.EDITOR)
    services.song_step_set(user=user, song=song, step_id=step_id, done=payload.done)
    return _song_out(request, song_id)


@router.post("/songs/{song_id}/cover", response={200: SongDetailOut, **errors(401, 403, 404, 422)},
             summary="Upload a cover image (JPEG/PNG/WebP/GIF)")
def song_cover(request: HttpRequest, song_id: int, cover: File[UploadedFile]):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=song_id, need=Role.EDITOR)
    services.song_update(user=user, song=song, data={}, cover=cover)
    return _song_out(request, song_id)


@router.get("/songs/{song_id}/spotify-matches", response={200: list[SpotifyMatchOut], **errors(401, 404, 422, 429, 503)},
            throttle=external_throttle(),
            summary="Spotify's top matches for the song, to pick from")
def song_spotify_matches(request: HttpRequest, song_id: int):
    song = selectors.song_get_for_user(user=_owner(request), song_id=song_id, need=Role.EDITOR)
    return services.spotify_candidates(song=song)


@router.post("/songs/{song_id}/enrich", response={200: EnrichOut, **errors(401, 403, 404, 422, 429, 503)},
             throttle=external_throttle(),
             summary="Fill album, cover, year and track id from Spotify (or return matches to pick from)")
def song_enrich(request: HttpRequest, song_id: int, payload: EnrichIn):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=song_id, need=Role.EDITOR)
    result = services.song_enrich(user=user, song=song, track_id=payload.track_id)
    return {"applied": result.applied, "song": _song_out(request, song_id), "candidates": result.candidates,
            "detail": result.detail}


# -- workflow ----------------------------------------------------------------------------------------------
@router.get("/workflow/steps", response={200: list[WorkflowStepOut], **errors(401)},
            summary="Your authoring workflow, in order")
def workflow_list(request: HttpRequest):
    return services.workflow_ensure(user=_owner(request))


@router.post("/workflow/steps", response={201: WorkflowStepOut, **errors(401, 422)}, summary="Add a workflow step")
def workflow_step_create(request: HttpRequest, payload: WorkflowStepIn):
    return Status(201, services.workflow_step_create(user=_owner(request), name=payload.name, position=payload.position))


@router.patch("/workflow/steps/{step_id}", response={200: WorkflowStepOut, **errors(401, 403, 404, 422)},
              summary="Rename a workflow step")
def workflow_step_rename(request: HttpRequest, step_id: int, payload: WorkflowStepPatch):
    return services.workflow_step_rename(user=_owner(request), step_id=step_id, name=payload.name)


@router.delete("/workflow/steps/{step_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Remove a workflow step from every song")
def workflow_step_delete(request: HttpRequest, step_id: int):
    services.workflow_step_delete(user=_owner(request), step_id=step_id)
    return Status(204, None)


@router.put("/workflow/order", response={200: list[WorkflowStepOut], **errors(401, 403, 422)},
            summary="Reorder the workflow steps")
def workflow_order(request: HttpRequest, payload: WorkflowOrderIn):
    return services.workflow_reorder(user=_owner(request), step_ids=payload.step_ids)


@router.post("/workflow/reset", response={200: list[WorkflowStepOut], **errors(401)},
             summary="Back to the default 15 steps")
def workflow_reset(request: HttpRequest):
    return services.workflow_reset(user=_owner(request))


# -- packs --------------------------------------------------------------------------------------------------
@router.get("/packs", response={200: list[PackOut], **errors(401, 422)}, summary="Packs you own or collaborate on")
@paginate(Pagination)
def pack_list(request: HttpRequest, filters: Query[PackFilter]):
    return selectors.pack_list(user=_owner(request), **filters.model_dump())


@router.post("/packs", response={201: PackOut, **errors(401, 422)}, summary="Create a pack")
def pack_create(request: HttpRequest, payload: PackIn):
    pack = services.pack_create(user=_owner(request), data=payload.model_dump())
    return Status(201, pack)


@router.get("/packs/{pack_id}", response={200: PackOut, **errors(401, 404, 422)}, summary="One pack")
def pack_get(request: HttpRequest, pack_id: int):
    return selectors.pack_get_for_user(user=_owner(request), pack_id=pack_id)


@router.put("/packs/{pack_id}", response={200: PackOut, **errors(401, 403, 404, 422)},
            summary="Replace a pack's fields")
def pack_replace(request: HttpRequest, pack_id: int, payload: PackIn):
    user = _owner(request)
    pack = selectors.pack_get_for_user(user=user, pack_id=pack_id, need=Role.EDITOR)
    return services.pack_update(user=user, pack=pack, data=payload.model_dump())


@router.patch("/packs/{pack_id}", response={200: PackOut, **errors(401, 403, 404, 422)},
              summary="Change some of a pack's fields")
def pack_update(request: HttpRequest, pack_id: int, payload: PackPatch):
    user = _owner(request)
    pack = selectors.pack_get_for_user(user=user, pack_id=pack_id, need=Role.EDITOR)
    return services.pack_update(user=user, pack=pack, data=payload.model_dump(exclude_unset=True))


@router.delete("/packs/{pack_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Delete a pack (its songs stay)")
def pack_delete(request: HttpRequest, pack_id: int):
    user = _owner(request)
    services.pack_delete(user=user, pack=selectors.pack_get_for_user(user=user, pack_id=pack_id, need=Role.OWNER))
    return Status(204, None)


@router.post("/packs/{pack_id}/release", response={200: PackOut, **errors(401, 403, 404, 422)},
             summary="Release a pack and every song in it")
def pack_release(request: HttpRequest, pack_id: int, payload: PackReleaseIn):
    user = _owner(request)
    pack = selectors.pack_get_for_user(user=user, pack_id=pack_id, need=Role.OWNER)
    services.pack_release(user=user, pack=pack, release_date=payload.release_date)
    return selectors.pack_get_for_user(user=user, pack_id=pack_id)


@router.post("/packs/{pack_id}/cover", response={200: PackOut, **errors(401, 403, 404, 422)},
             summary="Upload a pack cover (JPEG/PNG/WebP/GIF)")
def pack_cover(request: HttpRequest, pack_id: int, cover: File[UploadedFile]):
    user = _owner(request)
    pack = selectors.pack_get_for_user(user=user, pack_id=pack_id, need=Role.EDITOR)
    return services.pack_update(user=user, pack=pack, data={}, cover=cover)


# -- album series ------------------------------------------------------------------------------------------
def _series_detail(series) -> dict:
    comparison = selectors.album_series_comparison(series=series)
    base = {"id": series.pk, "series_number": series.series_number, "artist": series.artist, "album": series.album,
            "year": series.year, "cover_url": series.cover_src,
            "description": series.description, "status": series.status, "spotify_album_id": series.spotify_album_id,
            "song_count": series.songs.count(), "tracklist_fetched_at": series.tracklist_fetched_at}
    return {**base, "tracks": [{"number": r.number, "title": r.title, "state": r.state,
                                "song_id": r.song.pk if r.song else None, "duration_ms": r.duration_ms}
                               for r in comparison["rows"]],
            "extras": [s.pk for s in comparison["extras"]], "counts": comparison["counts"],
            "percent": comparison["percent"]}


@router.get("/album-series", response={200: list[AlbumSeriesOut], **errors(401, 422)}, summary="Your album series")
@paginate(Pagination)
def series_list(request: HttpRequest, filters: Query[SeriesFilter]):
    return selectors.album_series_list(user=_owner(request), **filters.model_dump())


@router.post("/album-series", response={201: AlbumSeriesDetailOut, **errors(401, 422)}, summary="Start an album series")
def series_create(request: HttpRequest, payload: AlbumSeriesIn):
    return Status(201, _series_detail(services.album_series_create(user=_owner(request), data=payload.model_dump())))


@router.get("/album-series/{series_id}", response={200: AlbumSeriesDetailOut, **errors(401, 404, 422)},
            summary="A series with its tracklist comparison")
def series_get(request: HttpRequest, series_id: int):
    return _series_detail(selectors.album_series_get_for_user(user=_owner(request), series_id=series_id))


@router.patch("/album-series/{series_id}", response={200: AlbumSeriesDetailOut, **errors(401, 403, 404, 422)},
              summary="Change a series")
def series_update(request: HttpRequest, series_id: int, payload: AlbumSeriesPatch):
    user = _owner(request)
    series = selectors.album_series_get_for_user(user=user, series_id=series_id)
    return _series_detail(services.album_series_update(user=user, series=series,
                                                       data=payload.model_dump(exclude_unset=True)))


@router.delete("/album-series/{series_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Delete a series (its songs stay)")
def series_delete(request: HttpRequest, series_id: int):
    user = _owner(request)
    services.album_series_delete(user=user, series=selectors.album_series_get_for_user(user=user, series_id=series_id))
    return Status(204, None)


@router.post("/album-series/{series_id}/tracklist", response={200: AlbumSeriesDetailOut, **errors(401, 403, 404, 422, 429, 503)},
             throttle=external_throttle(),
             summary="Fetch the album's tracklist from Spotify")
def series_fetch_tracklist(request: HttpRequest, series_id: int, album: str = ""):
    user = _owner(request)
    series = selectors.album_series_get_for_user(user=user, series_id=series_id)
    return _series_detail(services.album_series_fetch_tracklist(user=user, series=series, album=album))


@router.post("/album-series/{series_id}/marks", response={200: AlbumSeriesDetailOut, **errors(401, 403, 404, 422)},
             summary="Mark a tracklist entry irrelevant (or relevant again)")
def series_mark(request: HttpRequest, series_id: int, payload: TrackMarkIn):
    user = _owner(request)
    series = selectors.album_series_get_for_user(user=user, series_id=series_id)
    return _series_detail(services.album_series_mark_track(user=user, series=series, title=payload.title,
                                                           irrelevant=payload.irrelevant))


@router.post("/album-series/{series_id}/add-missing", response={200: AlbumSeriesDetailOut, **errors(401, 403, 404, 422)},
             summary="Add each missing track as a Future Plans song")
def series_add_missing(request: HttpRequest, series_id: int):
    user = _owner(request)
    series = selectors.album_series_get_for_user(user=user, series_id=series_id)
    services.album_series_add_missing(user=user, series=series)
    return _series_detail(series)


# -- collaborations ----------------------------------------------------------------------------------------
@router.get("/collaborations", response={200: list[CollaborationOut], **errors(401, 422)},
            summary="Invitations to you and collaborators on yours")
@paginate(Pagination)
def collaboration_list(request: HttpRequest, filters: Query[CollaborationFilter]):
    return selectors.collaboration_list(user=_owner(request), **filters.model_dump())


@router.post("/collaborations", response={201: CollaborationOut, **errors(401, 403, 404, 409, 422)},
             summary="Invite a user onto your song or pack")
def collaboration_create(request: HttpRequest, payload: CollaborationIn):
    user = _owner(request)
    song = selectors.song_get_for_user(user=user, song_id=payload.song_id, need=Role.OWNER) if payload.song_id else None
    pack = selectors.pack_get_for_user(user=user, pack_id=payload.pack_id, need=Role.OWNER) if payload.pack_id else None
    collab = services.collaboration_invite(user=user, username=payload.username, song=song, pack=pack,
                                           permission=payload.permission, message=payload.message)
    return Status(201, collab)


@router.post("/collaborations/batch", response={201: list[CollaborationOut], **errors(401, 403, 404, 409, 422)},
             summary="Invite several users onto a pack")
def collaboration_batch(request: HttpRequest, payload: CollaborationBatchIn):
    user = _owner(request)
    pack = selectors.pack_get_for_user(user=user, pack_id=payload.pack_id, need=Role.OWNER)
    collabs = services.collaboration_invite_batch(user=user, pack=pack, usernames=payload.usernames,
                                                  permission=payload.permission, message=payload.message)
    return Status(201, collabs)


@router.get("/collaborations/{collaboration_id}", response={200: CollaborationOut, **errors(401, 404, 422)},
            summary="One collaboration")
def collaboration_get(request: HttpRequest, collaboration_id: int):
    return selectors.collaboration_get_for_user(user=_owner(request), collaboration_id=collaboration_id)


@router.patch("/collaborations/{collaboration_id}", response={200: CollaborationOut, **errors(401, 403, 404, 422)},
              summary="Change a permission (owner)")
def collaboration_update(request: HttpRequest, collaboration_id: int, payload: CollaborationPatch):
    user = _owner(request)
    collab = selectors.collaboration_get_for_user(user=user, collaboration_id=collaboration_id)
    return services.collaboration_update(user=user, collaboration=collab, permission=payload.permission)


@router.delete("/collaborations/{collaboration_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Remove a collaborator, or leave")
def collaboration_delete(request: HttpRequest, collaboration_id: int):
    user = _owner(request)
    collab = selectors.collaboration_get_for_user(user=user, collaboration_id=collaboration_id)
    services.collaboration_remove(user=user, collaboration=collab)
    return Status(204, None)


@router.post("/collaborations/{collaboration_id}/accept", response={200: CollaborationOut, **errors(401, 403, 404, 409, 422)},
             summary="Accept an invitation")
def collaboration_accept(request: HttpRequest, collaboration_id: int):
    user = _owner(request)
    collab = selectors.collaboration_get_for_user(user=user, collaboration_id=collaboration_id)
    return services.collaboration_respond(user=user, collaboration=collab, accept=True)


@router.post("/collaborations/{collaboration_id}/decline", response={200: CollaborationOut, **errors(401, 403, 404, 409, 422)},
             summary="Decline an invitation")
def collaboration_decline(request: HttpRequest, collaboration_id: int):
    user = _owner(request)
    collab = selectors.collaboration_get_for_user(user=user, collaboration_id=collaboration_id)
    return services.collaboration_respond(user=user, collaboration=collab, accept=False)


# -- achievements, dashboard and profiles ------------------------------------------------------------------
@router.get("/achievements", response={200: AchievementsOut, **errors(401)},
            summary="The catalogue with what you earned and your points")
def achievement_list(request: HttpRequest):
    return selectors.achievements_for_user(user=_owner(request))


@router.post("/achievements/seen", response={200: CountOut, **errors(401)},
             summary="Clear new-achievement notifications")
def achievement_seen(request: HttpRequest):
    return {"count": services.achievements_mark_seen(user=_owner(request))}


@router.get("/dashboard", response={200: DashboardOut, **errors(401)},
            summary="Counts by status, average progress, points")
def dashboard(request: HttpRequest):
    return selectors.dashboard(user=_owner(request))


@router.get("/stats", response={200: StatsOut, **errors(401)}, summary="Your tracker statistics")
def stats(request: HttpRequest):
    return selectors.tracker_stats(user=_owner(request))


def _profile_out(profile) -> dict:
    return {"username": profile.user.username, "display_name": profile.display_name, "bio": profile.bio,
            "image_url": profile.image.url if profile.image else "", "is_public": profile.is_public}


@router.get("/profile", response={200: ProfileOut, **errors(401)}, summary="Your profile settings")
def profile_get(request: HttpRequest):
    return _profile_out(selectors.profile_for_user(user=_owner(request)))


@router.patch("/profile", response={200: ProfileOut, **errors(401, 403, 422)},
              summary="Change your profile (opt in to a public profile)")
def profile_update(request: HttpRequest, payload: ProfileIn):
    return _profile_out(services.profile_update(user=_owner(request), data=payload.model_dump(exclude_unset=True)))


@router.post("/profile/image", response={200: ProfileOut, **errors(401, 422)},
             summary="Upload a profile image (JPEG/PNG/WebP/GIF)")
def profile_image(request: HttpRequest, image: File[UploadedFile]):
    return _profile_out(services.profile_update(user=_owner(request), data={}, image=image))


@router.get("/profiles/{username}", response={200: PublicProfileOut, **errors(401, 404, 422)}, auth=auth_optional,
            summary="A public profile: released songs, packs, achievements and stats")
def profile_public(request: HttpRequest, username: str):
    data = selectors.public_profile(username=username)
    profile = data["profile"]
    return {**_profile_out(profile), "points": data["points"], "stats": data["stats"], "songs": data["songs"],
            "packs": data["packs"], "achievements": data["achievements"]}
