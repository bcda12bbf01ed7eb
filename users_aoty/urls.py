from django.urls import path

from . import views

app_name = "users_aoty"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:username>/", views.detail, name="detail"),
]
