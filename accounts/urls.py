from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("export/", views.export_start, name="export_start"),
    path("logout-all/", views.logout_all, name="logout_all"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
]
