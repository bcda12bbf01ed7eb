from django.urls import path

from . import views

app_name = "albums"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("years/", views.year_lists, name="year_lists"),
    path("lists/open/", views.list_open, name="list_open"),
    path("artists/<int:pk>/", views.artist, name="artist"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/refresh/", views.refresh, name="refresh"),
    path("<int:pk>/extras/", views.extras, name="extras"),
    path("<int:pk>/cover/", views.cover, name="cover"),
    path("<int:pk>/refresh/status/", views.refresh_status, name="refresh_status"),
    path("discover/<path:key>/", views.discover, name="discover"),
]
