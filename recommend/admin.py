"""Admin: the catalogue, feature sources, playlists and index builds, with rebuild and import actions."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.storage import FileSystemStorage
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from common.exceptions import StylusError

from . import services
from .http import AuthedHttpRequest
from .models import Album, Artist, AudioUpload, IndexBuild, Playlist, PlaylistTrack, Track, TrackArtist, TrackFeatures


class TrackFeaturesInline(admin.TabularInline):
    model = TrackFeatures
    extra = 0
    fields = ("source", "version", "confidence", "computed_at", "values")
    readonly_fields = fields
    can_delete = True


class TrackArtistInline(admin.TabularInline):
    model = TrackArtist
    extra = 0
    raw_id_fields = ("artist",)


class HasFeaturesFilter(admin.SimpleListFilter):
    title = "features"
    parameter_name = "has_features"

    def lookups(self, request, model_admin):
        return [("yes", "With features"), ("no", "Without features")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(features__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(features__isnull=True)
        return queryset


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("title", "artist_names", "year", "genre", "popularity", "spotify_id", "owner")
    search_fields = ("title", "artist_names", "spotify_id", "isrc")
    list_filter = (HasFeaturesFilter, "features__source", ("owner", admin.EmptyFieldListFilter), "genre")
    raw_id_fields = ("album", "owner")
    inlines = [TrackArtistInline, TrackFeaturesInline]
    actions = ["add_to_index"]

    @admin.action(description="Add the selected tracks to the index now")
    def add_to_index(self, request: HttpRequest, queryset) -> None:
        build = services.index_add_tracks(track_ids=list(queryset.values_list("pk", flat=True)), reason="admin")
        if build is None:
            self.message_user(request, "Another build is running (or no features): try again later.", messages.WARNING)
        else:
            self.message_user(request, f"Index v{build.version}: {build.size} vectors.")


class DatasetUploadForm(forms.Form):
    csv_file = forms.FileField(label="Dataset CSV")
    mapping = forms.CharField(required=False, label="Column mapping",
                              help_text="Optional, one per line: field=column (e.g. track_id=id).",
                              widget=forms.Textarea(attrs={"rows": 3}))

    def clean_mapping(self) -> dict[str, str]:
        out = {}
        for line in (self.cleaned_data.get("mapping") or "").splitlines():
            if not line.strip():
                continue
            field, sep, column = line.partition("=")
            if not sep:
                raise forms.ValidationError(f"Expected field=column, got {line!r}.")
            out[field.strip()] = column.strip()
        return out


@admin.register(TrackFeatures)
class TrackFeaturesAdmin(admin.ModelAdmin):
    list_display = ("track", "source", "version", "confidence", "computed_at")
    list_filter = ("source", "confidence", "version")
    search_fields = ("track__title", "track__artist_names", "track__spotify_id")
    raw_id_fields = ("track",)
    readonly_fields = ("computed_at",)
    change_list_template = "admin/recommend/trackfeatures/change_list.html"

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="recommend_trackfeatures_import"),
                *super().get_urls()]

    def import_view(self, request: AuthedHttpRequest) -> HttpResponse:
        form = DatasetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            storage = FileSystemStorage(location=f"{settings.MEDIA_ROOT}/recommend/imports")
            stamp = timezone.now().strftime("%Y%m%d%H%M%S")
            name = storage.save(f"{stamp}-{form.cleaned_data['csv_file'].name}", form.cleaned_data["csv_file"])
            try:
                job = services.dataset_import_start(user=request.user, path=storage.path(name),
                                                    mapping=form.cleaned_data["mapping"])
            except StylusError as exc:
                form.add_error(None, exc.detail)
            else:
                return redirect("recommend:job", pk=job.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import a features dataset",
                   "opts": self.model._meta}
        return render(request, "admin/recommend/trackfeatures/import.html", context)


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ("name", "spotify_id", "popularity")
    search_fields = ("name", "spotify_id")


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "spotify_id")
    search_fields = ("title", "spotify_id")
    list_filter = ("year",)
    filter_horizontal = ("artists",)


class PlaylistTrackInline(admin.TabularInline):
    model = PlaylistTrack
    extra = 0
    raw_id_fields = ("track",)


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ("name", "spotify_id", "owner_name", "total_tracks", "snapshot_id", "last_ingested_at", "is_private")
    search_fields = ("name", "spotify_id", "owner_name")
    list_filter = ("is_private",)
    inlines = [PlaylistTrackInline]
    actions = ["reingest"]

    @admin.action(description="Re-import the selected playlists (ignores the snapshot)")
    def reingest(self, request: AuthedHttpRequest, queryset: QuerySet[Playlist]) -> None:
        for playlist in queryset:
            Playlist.objects.filter(pk=playlist.pk).update(ingested_snapshot_id="")
            services.playlist_ingest_start(user=request.user, spotify_id=playlist.spotify_id)
        self.message_user(request, f"{queryset.count()} imports started.")


@admin.register(AudioUpload)
class AudioUploadAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "user", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "artist", "user__username")
    raw_id_fields = ("user", "track")


@admin.register(IndexBuild)
class IndexBuildAdmin(admin.ModelAdmin):
    list_display = ("created_at", "version", "kind", "status", "index_type", "size", "nlist", "nprobe", "recall_at_10",
                    "train_seconds", "build_seconds", "reason")
    list_filter = ("status", "kind", "index_type")
    search_fields = ("reason", "message")
    readonly_fields = [f.name for f in IndexBuild._meta.fields]
    change_list_template = "admin/recommend/indexbuild/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self):
        return [path("rebuild/", self.admin_site.admin_view(self.rebuild_view), name="recommend_indexbuild_rebuild"),
                *super().get_urls()]

    def rebuild_view(self, request: AuthedHttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:recommend_indexbuild_changelist")
        job = services.index_rebuild_start(user=request.user)
        return redirect("recommend:job", pk=job.pk)
