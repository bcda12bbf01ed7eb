from django.urls import path

from . import views

app_name = "concerts"
urlpatterns = [
    path("", views.index, name="index"),
    path("on-this-day/", views.on_this_day, name="on_this_day"),
    path("songs/<int:song_id>/", views.song, name="song"),
    path("<int:concert_id>/", views.detail, name="detail"),
    path("artists/<slug:slug>/", views.artist, name="artist"),
    path("artists/<slug:slug>/songs/", views.artist_songs, name="artist_songs"),
]
