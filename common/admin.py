from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import FailedJob, Job, SearchLog


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ("label", "kind", "user", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("label", "user__username", "message")
    readonly_fields = ("created_at", "updated_at", "finished_at")


@admin.register(FailedJob)
class FailedJobAdmin(admin.ModelAdmin[FailedJob]):
    list_display = ("task_name", "exception", "retries", "created_at", "resolved_at")
    list_filter = ("task_name", "exception", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("task_name", "message", "task_id")
    readonly_fields = [f.name for f in FailedJob._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry selected failed jobs")
    def retry(self, request: HttpRequest, queryset: QuerySet[FailedJob]) -> None:
        for failed in queryset.filter(resolved_at__isnull=True):
            services.failed_job_retry(failed_job=failed)
        self.message_user(request, "Re-queued the selected jobs.", messages.SUCCESS)


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin[SearchLog]):
    list_display = ("section", "query", "user", "created_at")
    list_filter = ("section",)
    search_fields = ("query",)
