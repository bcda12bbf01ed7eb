from django.urls import path

from . import views

app_name = "listening"
urlpatterns = [
    path("", views.index, name="index"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/privacy/", views.privacy_update, name="privacy"),
    path("settings/listenbrainz/", views.listenbrainz_connect, name="listenbrainz_connect"),
    path("settings/listenbrainz/disconnect/", views.listenbrainz_disconnect, name="listenbrainz_disconnect"),
    path("settings/lastfm/", views.lastfm_start, name="lastfm_start"),
    path("settings/lastfm/callback/", views.lastfm_callback, name="lastfm_callback"),
    path("settings/lastfm/disconnect/", views.lastfm_disconnect, name="lastfm_disconnect"),
    path("listens/<int:listen_id>/delete/", views.listen_delete, name="listen_delete"),
    path("listens/delete-all/", views.listens_delete_all, name="listens_delete_all"),
    path("u/<str:username>/", views.public_history, name="public_history"),
    path("storage/", views.storage, name="storage"),
    path("play/<str:identifier>/", views.play, name="play"),
]
