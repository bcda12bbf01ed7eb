from django.urls import path

from . import views

app_name = "common"
urlpatterns = [
    path("", views.staff_dashboard, name="staff_dashboard"),
    path("metrics/", views.staff_metrics, name="staff_metrics"),
    path("failed-jobs/", views.failed_jobs, name="failed_jobs"),
    path("failed-jobs/<int:pk>/retry/", views.failed_job_retry, name="failed_job_retry"),
]
