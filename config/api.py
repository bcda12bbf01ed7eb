"""The one NinjaAPI, mounted at /api/v1/, built from each app's router."""
from django.conf import settings
from ninja import NinjaAPI

from common.api import ClientRateThrottle, install_exception_handlers

api = NinjaAPI(
    title="Stylus API",
    version="1.0.0",
    description="Albums, recommendations, vinyl deals, live concerts and song tracking.",
    urls_namespace="api",
    docs_url="/docs",
    # Every operation is throttled (this default, or its own): the throttle's round trip is also where a
    # bearer token remembered in process memory is checked against revocations (common.api.BearerAuth).
    throttle=[ClientRateThrottle(settings.API_DEFAULT_RATE)],
)
install_exception_handlers(api)


def _mount() -> None:
    from accounts.api import router as auth_router
    from albums.api import router as albums_router
    from archive.api import router as archive_router
    from common.api import router as common_router
    from concerts.api import recordings_router as concert_recordings_router
    from concerts.api import router as concerts_router
    from concerts.api import songs_router as concert_songs_router
    from digger.api import router as digger_router
    from listening.api import router as listening_router
    from recommend.api import router as recommend_router
    from tracks.api import router as tracks_router
    from users_aoty.api import router as users_aoty_router

    api.add_router("/auth", auth_router)
    api.add_router("/", common_router)
    api.add_router("/albums", albums_router)
    api.add_router("/aoty-users", users_aoty_router)
    # archive's router owns both /archive/... and /downloads...
    api.add_router("/", archive_router)
    api.add_router("/concerts", concerts_router)
    api.add_router("/songs", concert_songs_router)
    api.add_router("/recordings", concert_recordings_router)
    api.add_router("/recommend", recommend_router)
    api.add_router("/digger", digger_router)
    api.add_router("/tracks", tracks_router)
    # listening's router owns both /listens... and /listening/...
    api.add_router("/", listening_router)


_mount()
