from django.urls import path

from . import views

app_name = "recommend"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/rebuild/", views.rebuild, name="rebuild"),
    path("playlists/", views.playlists, name="playlists"),
    path("library/", views.library_import, name="library_import"),
    path("analyse/", views.analyse, name="analyse"),
    path("analyse/archive/", views.analyse_archive, name="analyse_archive"),
    path("mine/<int:pk>/", views.own_track, name="own_track"),
    path("tracks/<int:pk>/cover/", views.track_cover, name="track_cover"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("save/", views.save_playlist, name="save_playlist"),
]
