from django.contrib import admin, messages

from common.exceptions import StylusError

from . import services
from .models import Download, SearchHistory


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ("identifier", "file_name", "user", "status", "progress", "bytes_total", "created_at", "completed_at")
    list_filter = ("status", "format", "created_at")
    search_fields = ("identifier", "file_name", "title", "creator", "user__username")
    readonly_fields = ("created_at", "updated_at", "started_at", "completed_at", "bytes_done", "task_id", "attempts")
    raw_id_fields = ("user",)
    actions = ("retry_downloads", "cancel_downloads")

    @admin.action(description="Retry the selected failed or cancelled downloads")
    def retry_downloads(self, request, queryset):
        done = 0
        for download in queryset:
            try:
                services.download_retry(download=download)
                done += 1
            except StylusError:
                continue
        self.message_user(request, f"Re-queued {done} download(s).", messages.SUCCESS)

    @admin.action(description="Cancel the selected active downloads")
    def cancel_downloads(self, request, queryset):
        active = [d for d in queryset if d.is_active]
        for download in active:
            services.download_cancel(download=download)
        self.message_user(request, f"Cancelled {len(active)} download(s).", messages.SUCCESS)


@admin.register(SearchHistory)
class SearchHistoryAdmin(admin.ModelAdmin):
    list_display = ("summary", "user", "results_count", "uses", "last_used_at")
    list_filter = ("last_used_at",)
    search_fields = ("summary", "user__username")
    raw_id_fields = ("user",)
