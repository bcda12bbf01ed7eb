"""Archive API: mounted at /api/v1/ itself, so it declares /archive/... and /downloads... in full."""

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponseBase
from ninja import Query, Router, Status
from ninja.pagination import paginate

from common.api import Pagination, auth_optional, auth_required, auth_staff, external_throttle, request_user
from common.schemas import errors
from common.types import AuthUser
from integrations.internet_archive.types import ItemMetadata

from . import cache as archive_cache
from . import selectors, services
from .files import download_file_response
from .schemas import (
    ArchiveSearchOut,
    CacheStatsOut,
    DirectoryOut,
    DownloadBatchOut,
    DownloadFilter,
    DownloadIn,
    DownloadOut,
    ItemOut,
    SearchFilter,
)

router = Router(tags=["Archive"])


def _me(request: HttpRequest) -> AuthUser:
    """The caller of an auth_required operation (ninja's auth let nobody else in)."""
    if not isinstance(request.user, User):
        raise Http404("Not found.")
    return request.user


def _item_out(meta: ItemMetadata) -> dict[str, Any]:
    groups = selectors.item_file_groups(meta)
    return {
        **{k: getattr(meta, k) for k in ("identifier", "title", "creator", "date", "venue", "coverage", "source",
                                         "source_type", "taper", "transferer", "lineage", "notes", "description",
                                         "runtime", "stream_only", "avg_rating", "num_reviews")},
        "collections": list(meta.collections),
        "reviews": meta.reviews,
        "files": {"audio": groups.audio, "checksums": groups.checksums, "text": groups.text,
                  "images": groups.images, "other": groups.other},
    }


@router.get("/archive/search", response={200: ArchiveSearchOut, **errors(422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="Search etree concerts on the Internet Archive (cached 30 min)")
def archive_search(request: HttpRequest, filters: Query[SearchFilter]):
    params = services.SearchParams(**filters.dict())
    page, cached = services.archive_search(params=params, user=request_user(request))
    return {"total": page.total, "page": params.page, "rows": params.rows, "cached": cached, "results": [
        {**doc.__dict__, "formats": list(doc.formats), "source_type": doc.source_type} for doc in page.docs]}


@router.get("/archive/items/{identifier}", response={200: ItemOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="An item's metadata and its files grouped (cached 60 min)")
def archive_item(request: HttpRequest, identifier: str):
    return _item_out(services.archive_item_get(identifier=identifier))


@router.get("/archive/items/{identifier}/files", response={200: DirectoryOut, **errors(404, 422, 429, 503)},
            auth=auth_optional,
            throttle=external_throttle(), summary="Browse an item's files by folder")
def archive_item_files(request: HttpRequest, identifier: str, path: str = ""):
    meta = services.archive_item_get(identifier=identifier)
    directories, files = selectors.item_directory(meta, path)
    return {"identifier": identifier, "path": path.strip("/"), "directories": directories, "files": files}


@router.get("/archive/cache", response={200: CacheStatsOut, **errors(401, 403)}, auth=auth_staff, summary="Archive cache statistics (staff)")
def archive_cache_stats(request: HttpRequest):
    return archive_cache.stats()


@router.delete("/archive/cache", response={200: dict[str, Any], **errors(401, 403)}, auth=auth_staff, summary="Clear the archive cache (staff)")
def archive_cache_delete(request: HttpRequest):
    removed = services.archive_cache_clear()
    return {"detail": f"Cleared {removed} cached entries.", "cleared": removed}


@router.post("/downloads", response={200: DownloadOut | DownloadBatchOut, 201: DownloadOut | DownloadBatchOut,
                               **errors(401, 404, 409, 413, 422, 429, 503)},
             auth=auth_required, throttle=external_throttle(),
             summary="Download one file ({identifier, file}) or a whole recording ({identifier, format})")
def download_create(request: HttpRequest, payload: DownloadIn):
    downloads, created = services.download_request(user=_me(request), identifier=payload.identifier,
                                                   file=payload.file, format=payload.format)
    status = 201 if created else 200
    if payload.file:
        return Status(status, downloads[0])
    return Status(status, {"identifier": payload.identifier, "format": payload.format, "created": created,
                    "downloads": downloads})


@router.get("/downloads", response={200: list[DownloadOut], **errors(401, 422)}, auth=auth_required, summary="Your downloads, newest first")
@paginate(Pagination)
def download_list(request: HttpRequest, filters: Query[DownloadFilter]):
    return selectors.download_list_for_user(user=_me(request), status=filters.status, identifier=filters.identifier)


@router.get("/downloads/{download_id}", response={200: DownloadOut, **errors(401, 404, 422)}, auth=auth_required, summary="One of your downloads")
def download_detail(request: HttpRequest, download_id: int):
    return selectors.download_get_for_user(user=request.user, download_id=download_id)


@router.delete("/downloads/{download_id}", response={200: DownloadOut, 204: None, **errors(401, 404, 422)},
               auth=auth_required,
               summary="Cancel an active download (200), or remove a finished one and its file (204)")
def download_delete(request: HttpRequest, download_id: int):
    download = selectors.download_get_for_user(user=request.user, download_id=download_id)
    result = services.download_cancel(download=download)
    return Status(200, result) if result is not None else Status(204, None)


@router.post("/downloads/{download_id}/retry", response={202: DownloadOut, **errors(401, 404, 409, 422)},
             auth=auth_required,
             summary="Re-queue a failed, cancelled or stuck download (resumes from the partial file)")
def download_retry(request: HttpRequest, download_id: int):
    download = selectors.download_get_for_user(user=request.user, download_id=download_id)
    return Status(202, services.download_retry(download=download))


@router.get("/downloads/{download_id}/file", response={200: None, 206: None, **errors(401, 404, 409, 416, 422)},
            auth=auth_required, summary="The verified file of one of your downloads (HTTP Range supported)")
def download_file(request: HttpRequest, download_id: int) -> HttpResponseBase:
    download = selectors.download_verified_get_for_user(user=request.user, download_id=download_id)
    return download_file_response(request, download)
