from django.urls import path

from . import views

app_name = "archive"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/<str:identifier>/", views.item_detail, name="item"),
    path("items/<str:identifier>/browse/", views.item_browse, name="browse"),
    path("items/<str:identifier>/browse/<path:path>", views.item_browse, name="browse_path"),
    path("downloads/", views.download_list, name="downloads"),
    path("downloads/new/", views.download_create, name="download_create"),
    path("downloads/<int:download_id>/cancel/", views.download_cancel, name="download_cancel"),
    path("downloads/<int:download_id>/retry/", views.download_retry, name="download_retry"),
    path("library/", views.library, name="library"),
    path("library/<str:identifier>/", views.player, name="player"),
    path("files/<int:download_id>/", views.download_file, name="file"),
    path("history/clear/", views.history_clear, name="history_clear"),
    path("cache/", views.cache_admin, name="cache"),
]
