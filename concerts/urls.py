from django.urls import path

from . import views

app_name = "concerts"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:concert_id>/", views.detail, name="detail"),
    path("artists/<slug:slug>/", views.artist, name="artist"),
]
