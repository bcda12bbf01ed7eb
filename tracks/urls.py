from django.urls import path

from . import views

app_name = "tracks"
urlpatterns = [
    path("", views.index, name="index"),
    path("songs/", views.song_list, name="song_list"),
    path("songs/new/", views.song_create, name="song_create"),
    path("plans/add/", views.plan_add, name="plan_add"),
    path("songs/bulk/", views.song_bulk, name="song_bulk"),
    path("songs/enrich/", views.song_enrich_all, name="song_enrich_all"),
    path("songs/enrich/jobs/<int:job_id>/", views.enrich_job, name="enrich_job"),
    path("songs/import/", views.playlist_import, name="playlist_import"),
    path("songs/<int:song_id>/", views.song_detail, name="song_detail"),
    path("songs/<int:song_id>/status/", views.song_status, name="song_status"),
    path("songs/<int:song_id>/checklist/", views.song_checklist, name="song_checklist"),
    path("songs/<int:song_id>/steps/<int:step_id>/", views.song_step, name="song_step"),
    path("songs/<int:song_id>/delete/", views.song_delete, name="song_delete"),
    path("songs/<int:song_id>/spotify/", views.song_enrich, name="song_enrich"),
    path("packs/", views.pack_board, name="pack_board"),
    path("packs/new/", views.pack_create, name="pack_create"),
    path("packs/<int:pack_id>/", views.pack_detail, name="pack_detail"),
    path("packs/<int:pack_id>/release/", views.pack_release, name="pack_release"),
    path("packs/<int:pack_id>/delete/", views.pack_delete, name="pack_delete"),
    path("albums/", views.series_list, name="series_list"),
    path("albums/new/", views.series_create, name="series_create"),
    path("albums/<int:series_id>/", views.series_detail, name="series_detail"),
    path("albums/<int:series_id>/tracklist/", views.series_tracklist, name="series_tracklist"),
    path("albums/<int:series_id>/marks/", views.series_mark, name="series_mark"),
    path("albums/<int:series_id>/add-missing/", views.series_add_missing, name="series_add_missing"),
    path("collaborations/", views.collaboration_list, name="collaborations"),
    path("collaborations/invite/", views.collaboration_invite, name="collaboration_invite"),
    path("collaborations/<int:collaboration_id>/", views.collaboration_respond, name="collaboration_respond"),
    path("achievements/", views.achievement_list, name="achievements"),
    path("workflow/", views.workflow, name="workflow"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("u/<str:username>/", views.profile_public, name="profile_public"),
]
