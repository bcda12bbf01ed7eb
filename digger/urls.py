from django.urls import path

from . import views

app_name = "digger"
urlpatterns = [
    path("", views.index, name="index"),
]
