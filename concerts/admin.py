from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import (
    AggregationRun,
    ArtistSongConfig,
    Concert,
    Performance,
    Recording,
    RecordingQuality,
    SetlistEntry,
    Song,
    SongAlias,
)


class RecordingInline(admin.TabularInline):
    model = Recording
    extra = 0
    fields = ("rank", "identifier", "source_type", "format", "avg_rating", "num_reviews", "downloads", "score",
              "rank_reason")
    readonly_fields = fields
    ordering = ("rank",)
    show_change_link = True


class PerformanceInline(admin.TabularInline):
    model = Performance
    extra = 0
    fields = ("position", "set_label", "title", "song", "segue_out", "non_song", "length", "identifier")
    readonly_fields = fields
    ordering = ("position",)


@admin.register(Concert)
class ConcertAdmin(admin.ModelAdmin):
    list_display = ("artist", "date_text", "venue", "location", "recordings_count", "best_identifier", "is_demo")
    list_filter = ("year", "is_demo")
    search_fields = ("artist", "venue", "location", "date_text")
    inlines = [RecordingInline, PerformanceInline]


class SetlistEntryInline(admin.TabularInline):
    model = SetlistEntry
    extra = 0
    fields = ("position", "set_label", "title", "song", "segue", "reprise", "non_song", "file_name", "source")
    readonly_fields = ("position", "file_name", "source")
    raw_id_fields = ("song",)


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ("identifier", "concert", "rank", "source_type", "format", "avg_rating", "num_reviews",
                    "track_count")
    list_filter = ("source_type", "lossless", "soundboard", "format", "is_demo")
    search_fields = ("identifier", "title", "taper", "concert__artist")
    raw_id_fields = ("concert",)
    inlines = [SetlistEntryInline]


@admin.register(RecordingQuality)
class RecordingQualityAdmin(admin.ModelAdmin):
    list_display = ("recording", "lossy_sourced", "shelf_hz", "clipping_ratio", "loudness_lufs", "shortfall",
                    "updated_at")
    list_filter = ("lossy_sourced",)
    search_fields = ("recording__identifier",)
    raw_id_fields = ("recording",)


class SongAliasInline(admin.TabularInline):
    model = SongAlias
    extra = 0
    fields = ("key",)
    readonly_fields = ("key",)


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "key", "is_demo")
    list_filter = ("is_demo",)
    search_fields = ("title", "artist", "key", "aliases__key")
    inlines = [SongAliasInline]
    actions = ["merge_songs"]

    @admin.action(description="Merge the selected songs into the first (by id)")
    def merge_songs(self, request: HttpRequest, queryset: QuerySet[Song]) -> None:
        songs = list(queryset.order_by("pk"))
        if len(songs) < 2 or len({s.artist_key for s in songs}) != 1:
            self.message_user(request, "Pick two or more songs of one artist.", messages.ERROR)
            return
        target = services.songs_merge(target=songs[0], others=songs[1:])
        self.message_user(request, f"Merged {len(songs) - 1} song(s) into {target.title}.")


@admin.register(SongAlias)
class SongAliasAdmin(admin.ModelAdmin):
    list_display = ("key", "song", "artist_key")
    search_fields = ("key", "song__title")
    raw_id_fields = ("song",)
    actions = ["split_aliases"]

    @admin.action(description="Split the selected titles out into songs of their own")
    def split_aliases(self, request: HttpRequest, queryset: QuerySet[SongAlias]) -> None:
        created = [services.song_alias_split(alias=alias) for alias in queryset.select_related("song")
                   if alias.song.key != alias.key]
        self.message_user(request, f"Created {len(created)} song(s).")


@admin.register(ArtistSongConfig)
class ArtistSongConfigAdmin(admin.ModelAdmin):
    list_display = ("artist_key", "non_songs")
    search_fields = ("artist_key",)


@admin.register(AggregationRun)
class AggregationRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "artist", "since", "items_seen", "items_undated", "items_bad_date",
                    "concerts_created", "recordings_created", "recordings_updated", "duration")
    list_filter = ("status",)
    readonly_fields = [f.name for f in AggregationRun._meta.fields]
