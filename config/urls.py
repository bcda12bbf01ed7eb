from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from common import views as common_views
from config.api import api
from listening import views as listening_views
from subsonic.urls import rest_urlpatterns as subsonic_rest

admin.site.site_header = "Stylus administration"
admin.site.site_title = "Stylus admin"
admin.site.index_title = "Curate Stylus"

urlpatterns = [
    path("", common_views.home, name="home"),
    path("health", common_views.health, name="health"),
    path("search/", common_views.search, name="search"),
    path("metrics", common_views.prometheus_metrics, name="prometheus-django-metrics"),  # staff or METRICS_TOKEN
    path("staff/", include("common.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", accounts_views.login),  # allauth's, plus a 429 with Retry-After when locked
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("api/v1/", api.urls),
    path("albums/", include("albums.urls")),
    path("aoty-users/", include("users_aoty.urls")),
    path("tracks/", include("tracks.urls")),
    path("recommend/", include("recommend.urls")),
    path("digger/", include("digger.urls")),
    path("archive/", include("archive.urls")),
    path("concerts/", include("concerts.urls")),
    path("listening/", include("listening.urls")),
    # ListenBrainz's own protocol (not the /api/v1 NinjaAPI), for players that scrobble into Stylus.
    path("apis/listenbrainz/", include("listening.listenbrainz_compat")),
    # The service worker must be served from the root for its scope to cover every page.
    path("sw.js", listening_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", listening_views.manifest, name="manifest"),
    path("subsonic/", include("subsonic.urls")),
    # OpenSubsonic's own protocol at /rest/<method>[.view] (not the /api/v1 NinjaAPI), for Subsonic apps.
    path("rest/", include(subsonic_rest)),
]

handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"

if settings.STYLUS_BENCH_VIEWS:
    urlpatterns.append(path("bench/bare", common_views.bench_bare))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
