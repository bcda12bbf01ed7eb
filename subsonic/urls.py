from django.urls import path, re_path

from . import views

app_name = "subsonic"
urlpatterns = [
    path("settings/", views.app_password_detail, name="settings"),
    path("settings/password/", views.app_password_create, name="password_create"),
    path("settings/password/delete/", views.app_password_delete, name="password_delete"),
]

# Mounted at /rest/ by config/urls.py: the protocol's own paths, outside the site's namespaces.
rest_urlpatterns = [
    re_path(r"^(?P<method>[A-Za-z0-9]{1,64}(?:\.view)?)$", views.rest, name="subsonic-rest"),
]
