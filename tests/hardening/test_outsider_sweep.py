"""The outsider sweep: every URL pattern, API operation and WebSocket route that takes an object
id is requested by `outsider` for an object `owner` made. Each answers 404 or 403 (staff-only
pages redirect to the admin login), nothing changes, and no owner data appears in any body.

New private URLs fail `test_every_id_route_is_classified` until they are added below.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.hardening.test_security import _walk

pytestmark = pytest.mark.django_db
MARK = "Zyzzyva-owner-secret"
_seq = iter(range(1, 10_000))

# -- builders: make the owner's object, return the route kwargs ------------------------------------


def _song(owner) -> dict:
    from tracks import services

    song = services.song_create(user=owner, data={"title": f"{MARK} song {next(_seq)}", "artist": MARK, "status": "In Progress"})
    return {"song_id": song.pk, "step_id": song.steps.first().step_id}


def _pack(owner) -> dict:
    from tracks import services

    return {"pack_id": services.pack_create(user=owner, data={"name": f"{MARK} pack {next(_seq)}"}).pk}


def _series(owner) -> dict:
    from tracks import services

    return {"series_id": services.album_series_create(user=owner, data={"artist": MARK, "album": f"{MARK} album {next(_seq)}"}).pk}


def _collaboration(owner) -> dict:
    from tests.factories import UserFactory
    from tracks import services

    song = services.song_create(user=owner, data={"title": f"{MARK} shared {next(_seq)}", "artist": MARK})
    third = UserFactory(username=f"third{next(_seq)}")
    collab = services.collaboration_invite(user=owner, username=third.username, song=song, permission="song_edit")
    return {"collaboration_id": collab.pk}


def _workflow_step(owner) -> dict:
    from tracks import services

    return {"step_id": services.workflow_ensure(user=owner)[0].pk}


def _job(owner) -> dict:
    from common import services

    job = services.job_create(user=owner, kind="export", label=f"{MARK} job")
    return {"pk": job.pk, "job_id": job.pk}


def _token(owner) -> dict:
    from accounts.services import api_token_create

    return {"pk": api_token_create(user=owner, name=f"{MARK} token")[0].pk}


def _own_track(owner) -> dict:
    from recommend.models import Track

    return {"pk": Track.objects.create(title=f"{MARK} upload", owner=owner).pk}


def _saved_search(owner) -> dict:
    from digger.models import SavedSearch

    search = SavedSearch.objects.create(user=owner, name=f"{MARK} search", artist=MARK)
    return {"pk": search.pk, "search_id": search.pk}


def _want(owner) -> dict:
    from digger.models import CollectionItem

    item = CollectionItem.objects.create(user=owner, kind="want", release_id=880000 + next(_seq), title=f"{MARK} want")
    return {"release_id": item.release_id}


def _alert_channel(owner) -> dict:
    from digger.models import AlertChannel

    channel = AlertChannel.objects.create(user=owner, kind="webhook", url=f"https://hooks.example.org/{MARK}")
    return {"pk": channel.pk, "channel_id": channel.pk}


def _download(owner) -> dict:
    from archive.models import Download

    download = Download.objects.create(user=owner, identifier="gd1977-05-08.sbd.miller", file_name=f"{MARK}-{next(_seq)}.flac",
                                       title=f"{MARK} concert", status=Download.Status.FAILED)
    return {"download_id": download.pk, "identifier": download.identifier}


def _library(owner) -> dict:
    from archive.models import Download

    download = Download.objects.create(user=owner, identifier="gd1977-05-08.sbd.miller", file_name=f"{MARK}-{next(_seq)}.mp3",
                                       title=f"{MARK} concert", status=Download.Status.COMPLETED, path="downloads/x/y.mp3")
    return {"identifier": download.identifier, "download_id": download.pk}


def _profile(owner) -> dict:
    return {"username": owner.username}


def _listen(owner) -> dict:
    import datetime as dt

    from django.utils import timezone

    from listening import services

    listen = services.listen_record(user=owner, listened_at=timezone.now() - dt.timedelta(minutes=next(_seq)),
                                    track_title=f"{MARK} track", artist_name=MARK, source="web")
    return {"listen_id": listen.pk, "username": owner.username}


PRIVATE_PAGES: dict[str, Callable] = {
    "account/tokens/<int:pk>/revoke/": _token,
    "account/jobs/<int:pk>/": _job,
    "tracks/songs/enrich/jobs/<int:job_id>/": _job,
    "tracks/songs/<int:song_id>/": _song,
    "tracks/songs/<int:song_id>/status/": _song,
    "tracks/songs/<int:song_id>/checklist/": _song,
    "tracks/songs/<int:song_id>/steps/<int:step_id>/": _song,
    "tracks/songs/<int:song_id>/delete/": _song,
    "tracks/songs/<int:song_id>/spotify/": _song,
    "tracks/packs/<int:pack_id>/": _pack,
    "tracks/packs/<int:pack_id>/release/": _pack,
    "tracks/packs/<int:pack_id>/delete/": _pack,
    "tracks/albums/<int:series_id>/": _series,
    "tracks/albums/<int:series_id>/tracklist/": _series,
    "tracks/albums/<int:series_id>/marks/": _series,
    "tracks/albums/<int:series_id>/add-missing/": _series,
    "tracks/albums/<int:series_id>/cover/": _series,
    "tracks/songs/<int:song_id>/cover/": _song,
    "tracks/collaborations/<int:collaboration_id>/": _collaboration,
    "tracks/u/<str:username>/": _profile,  # public only for users who opt in
    "recommend/mine/<int:pk>/": _own_track,
    "recommend/tracks/<int:pk>/cover/": _own_track,  # catalogue covers are public; an upload's is its owner's
    "recommend/jobs/<int:pk>/": _job,
    "digger/searches/<int:pk>/": _saved_search,
    "digger/searches/<int:pk>/edit/": _saved_search,
    "digger/searches/<int:pk>/delete/": _saved_search,
    "digger/searches/<int:pk>/run/": _saved_search,
    "digger/wants/<int:release_id>/alert/": _want,
    "digger/alerts/channels/<int:pk>/delete/": _alert_channel,
    "archive/downloads/<int:download_id>/cancel/": _download,
    "archive/downloads/<int:download_id>/retry/": _download,
    "archive/files/<int:download_id>/": _library,
    "archive/library/<str:identifier>/": _library,
    "listening/listens/<int:listen_id>/delete/": _listen,
    "listening/u/<str:username>/": _listen,  # play history is private until its owner makes it public
}
STAFF_PAGES = {"staff/failed-jobs/<int:pk>/retry/"}
# Public catalogue objects, or user-scoped views of a public id (the outsider sees only their own data).
PUBLIC_PAGES = {
    "albums/artists/<int:pk>/", "albums/<int:pk>/", "albums/<int:pk>/refresh/", "albums/<int:pk>/extras/",
    "albums/<int:pk>/refresh/status/", "albums/discover/<path:key>/", "aoty-users/<str:username>/",
    "concerts/<int:concert_id>/", "concerts/artists/<slug:slug>/",
    "archive/items/<str:identifier>/", "archive/items/<str:identifier>/browse/", "archive/items/<str:identifier>/browse/<path:path>",
    "digger/releases/<int:release_id>/", "digger/settings/test/<str:service>/",
    "digger/covers/<str:token>/",  # a signed token, not an id: a forged one is 404, a real one a placeholder PNG
    "albums/<int:pk>/cover/",  # the stored cover or its generated placeholder
    "concerts/artists/<slug:slug>/songs/", "concerts/songs/<int:song_id>/",
    "listening/play/<str:identifier>/",  # a deep link into a public archive item; private files are never listed
}
# Protocol routes name a method, not an object: Subsonic's privacy (playlists, stars, queue, files of other users
# answer error 70) is swept by tests/subsonic/test_outsider_privacy.py with real protocol requests.
PROTOCOL_ROUTES = ("rest/",)

PRIVATE_API: dict[str, Callable] = {
    "/api/v1/downloads/{download_id}": _download,
    "/api/v1/downloads/{download_id}/retry": _download,
    "/api/v1/downloads/{download_id}/file": _download,
    "/api/v1/digger/searches/{search_id}": _saved_search,
    "/api/v1/digger/searches/{search_id}/run": _saved_search,
    "/api/v1/digger/searches/{search_id}/runs": _saved_search,
    "/api/v1/digger/searches/{search_id}/results": _saved_search,
    "/api/v1/digger/wants/{release_id}/alert": _want,
    "/api/v1/digger/alert-channels/{channel_id}": _alert_channel,
    "/api/v1/tracks/songs/{song_id}": _song,
    "/api/v1/tracks/songs/{song_id}/steps/{step_id}": _song,
    "/api/v1/tracks/songs/{song_id}/cover": _song,
    "/api/v1/tracks/songs/{song_id}/spotify-matches": _song,
    "/api/v1/tracks/songs/{song_id}/enrich": _song,
    "/api/v1/tracks/workflow/steps/{step_id}": _workflow_step,
    "/api/v1/tracks/packs/{pack_id}": _pack,
    "/api/v1/tracks/packs/{pack_id}/release": _pack,
    "/api/v1/tracks/packs/{pack_id}/cover": _pack,
    "/api/v1/tracks/album-series/{series_id}": _series,
    "/api/v1/tracks/album-series/{series_id}/tracklist": _series,
    "/api/v1/tracks/album-series/{series_id}/marks": _series,
    "/api/v1/tracks/album-series/{series_id}/add-missing": _series,
    "/api/v1/tracks/collaborations/{collaboration_id}": _collaboration,
    "/api/v1/tracks/collaborations/{collaboration_id}/accept": _collaboration,
    "/api/v1/tracks/collaborations/{collaboration_id}/decline": _collaboration,
    "/api/v1/tracks/profiles/{username}": _profile,
    "/api/v1/listens/{listen_id}": _listen,
}
PUBLIC_API = {
    "/api/v1/albums/discover/{key}", "/api/v1/albums/{album_id}", "/api/v1/albums/{album_id}/similar",
    "/api/v1/aoty-users/{username}", "/api/v1/archive/items/{identifier}", "/api/v1/archive/items/{identifier}/files",
    "/api/v1/concerts/{concert_id}", "/api/v1/digger/credentials/{service}/test",
    "/api/v1/digger/releases/{release_id}/price-bands",  # marketplace price aggregates, no user's data
    "/api/v1/concerts/{concert_id}/setlist", "/api/v1/songs/{song_id}", "/api/v1/recordings/{identifier}/quality",
    "/api/v1/listening/tracks/{identifier}",  # a public item's playable files; a download only for its owner
}
# WebSocket groups by kind: the builder's kwarg that names the object.
PRIVATE_WS = {"job": (_job, "pk"), "download": (_download, "download_id"), "diggersearch": (_saved_search, "pk")}


def _id_routes() -> set[str]:
    return {route for route, _ in _walk(get_resolver())
            if "<" in route and not route.lstrip("^").startswith(("admin/", "accounts/", "api/v1/", "static/", "media/",
                                                                   *PROTOCOL_ROUTES))}


def _api_routes() -> dict[str, list[str]]:
    from config.api import api

    return {path: sorted(methods) for path, methods in api.get_openapi_schema()["paths"].items() if "{" in path}


def test_every_id_route_is_classified():
    pages = _id_routes()
    assert pages - set(PRIVATE_PAGES) - STAFF_PAGES - PUBLIC_PAGES == set(), "unclassified page URLs: add them to the sweep"
    assert set(PRIVATE_PAGES) <= pages, "sweep lists page URLs that no longer exist"
    api_paths = set(_api_routes())
    assert api_paths - set(PRIVATE_API) - PUBLIC_API == set(), "unclassified API operations: add them to the sweep"
    assert set(PRIVATE_API) <= api_paths
    from common.selectors import _GROUP_CHECKS

    assert set(_GROUP_CHECKS) == set(PRIVATE_WS), "unclassified WebSocket group kinds"


def _fill(route: str, kwargs: dict) -> str:
    def sub(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        return str(kwargs[name])

    return "/" + re.sub(r"<([^>]+)>", sub, route)


def _fill_api(path: str, kwargs: dict) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(kwargs[m.group(1)]), path)


def test_outsider_gets_404_or_403_on_every_private_page(owner, outsider):
    client = Client()
    client.force_login(outsider)
    swept = 0
    for route, build in PRIVATE_PAGES.items():
        path = _fill(route, build(owner))
        statuses = {}
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            statuses[method] = response.status_code
            assert MARK not in response.content.decode(errors="ignore"), f"{method.upper()} {path} leaked owner data"
        assert set(statuses.values()) <= {403, 404, 405} and {403, 404} & set(statuses.values()), f"{path}: {statuses}"
        swept += 1
    for route in STAFF_PAGES:
        path = _fill(route, {"pk": 1})
        assert client.post(path).status_code == 302  # to the admin login
    print(f"\noutsider sweep: {swept} private page URLs (+{len(STAFF_PAGES)} staff-only)")


def _body_for(path: str, method: str, owner_client: Client, url: str):
    if path.endswith("/cover"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.tracks.conftest import png_bytes

        return {"data": {"cover": SimpleUploadedFile("c.png", png_bytes(), content_type="image/png")}}
    if method in ("put", "patch"):
        current = owner_client.get(url)
        body = current.json() if current.status_code == 200 else {}
        if path.endswith("/songs/{song_id}/steps/{step_id}"):
            body = {"done": True}
        elif path.endswith("/workflow/steps/{step_id}"):
            body = {"name": "Renamed"}
        return {"data": body, "content_type": "application/json"}
    if path.endswith("/marks"):
        return {"data": {"title": "x", "irrelevant": True}, "content_type": "application/json"}
    return {"data": {}, "content_type": "application/json"}


def test_outsider_gets_404_or_403_on_every_private_api_operation(owner, outsider, owner_api, outsider_api):
    owner_client = Client(**owner_api)
    client = Client(**outsider_api)
    routes = _api_routes()
    swept = 0
    for path, build in PRIVATE_API.items():
        kwargs = build(owner)
        url = _fill_api(path, kwargs)
        for method in routes[path]:
            body = _body_for(path, method, owner_client, url) if method != "get" else {}
            response = getattr(client, method)(url, **body)
            assert response.status_code in (403, 404), f"{method.upper()} {url} -> {response.status_code} {response.content[:200]}"
            assert MARK not in response.content.decode(errors="ignore")
            swept += 1
    print(f"\noutsider sweep: {swept} private API operations")


@pytest.mark.django_db(transaction=True)
def test_outsider_cannot_join_private_websocket_groups(owner, outsider):
    from channels.testing import WebsocketCommunicator

    from config.routing import websocket_urlpatterns

    async def attempt(path: str, user) -> bool:
        from channels.routing import URLRouter

        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect(timeout=3)
        await communicator.disconnect()
        return connected

    for kind, (build, key) in PRIVATE_WS.items():
        object_id = build(owner)[key]
        path = f"/ws/progress/{kind}/{object_id}/"
        assert asyncio.run(attempt(path, owner)) is True, f"owner refused on {path}"
        assert asyncio.run(attempt(path, outsider)) is False, f"outsider joined {path}"
    from django.contrib.auth.models import AnonymousUser

    assert asyncio.run(attempt("/ws/downloads/", AnonymousUser())) is False
    print(f"\noutsider sweep: {len(PRIVATE_WS)} WebSocket group kinds + /ws/downloads/")
