from django.contrib import admin

from .models import AggregationRun, Concert, Recording


class RecordingInline(admin.TabularInline):
    model = Recording
    extra = 0
    fields = ("rank", "identifier", "source_type", "format", "avg_rating", "num_reviews", "downloads", "score")
    readonly_fields = fields
    ordering = ("rank",)
    show_change_link = True


@admin.register(Concert)
class ConcertAdmin(admin.ModelAdmin):
    list_display = ("artist", "date_text", "venue", "location", "recordings_count", "best_identifier")
    list_filter = ("year",)
    search_fields = ("artist", "venue", "location", "date_text")
    inlines = [RecordingInline]


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ("identifier", "concert", "rank", "source_type", "format", "avg_rating", "num_reviews")
    list_filter = ("source_type", "lossless", "soundboard", "format")
    search_fields = ("identifier", "title", "taper", "concert__artist")
    raw_id_fields = ("concert",)


@admin.register(AggregationRun)
class AggregationRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "artist", "since", "items_seen", "items_undated", "items_bad_date",
                    "concerts_created", "recordings_created", "recordings_updated", "duration")
    list_filter = ("status",)
    readonly_fields = [f.name for f in AggregationRun._meta.fields]
