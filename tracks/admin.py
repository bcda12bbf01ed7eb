from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from common.types import AuthUser

from . import achievements as catalogue
from . import services
from .models import (
    Achievement,
    Activity,
    AlbumSeries,
    Collaboration,
    Pack,
    Song,
    SongStep,
    TrackerProfile,
    WorkflowStep,
)


def _evaluate_for(request: HttpRequest, users: list[AuthUser]) -> None:
    awarded = 0
    for user in {u.pk: u for u in users}.values():
        awarded += len(services.achievements_evaluate(user=user))
    messages.success(request, f"Re-evaluated achievements for {len({u.pk for u in users})} users: {awarded} awarded.")


@admin.action(description="Re-evaluate achievements of the owners")
def reevaluate_owner_achievements(modeladmin: admin.ModelAdmin[Any], request: HttpRequest,
                                  queryset: QuerySet[Song | Pack | AlbumSeries]) -> None:
    _evaluate_for(request, [obj.owner for obj in queryset.select_related("owner")])


@admin.action(description="Re-evaluate achievements of these users")
def reevaluate_user_achievements(modeladmin: admin.ModelAdmin[Any], request: HttpRequest,
                                 queryset: QuerySet[WorkflowStep | Collaboration | Achievement | TrackerProfile]) -> None:
    _evaluate_for(request, [obj.user for obj in queryset.select_related("user")])


class HttpsLinks:
    """Links typed without a scheme are https (Django 6's default), and no deprecation warning."""

    formfield_overrides: ClassVar[Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]] = {
        models.URLField: {"assume_scheme": "https"},
    }


class SongStepInline(admin.TabularInline):
    model = SongStep
    extra = 0
    fields = ("step", "done", "done_at")
    raw_id_fields = ("step",)


@admin.register(Song)
class SongAdmin(HttpsLinks, admin.ModelAdmin):
    list_display = ("title", "artist", "owner", "status", "priority", "pack", "release_date", "updated_at")
    list_filter = ("status", "priority", ("enriched_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "artist", "album", "owner__username", "spotify_track_id")
    raw_id_fields = ("owner", "pack", "album_series")
    list_select_related = ("owner", "pack")
    date_hierarchy = "created_at"
    inlines = [SongStepInline]
    actions = [reevaluate_owner_achievements]


@admin.register(SongStep)
class SongStepAdmin(admin.ModelAdmin):
    list_display = ("song", "step", "done", "done_at")
    list_filter = ("done",)
    search_fields = ("song__title", "song__artist", "step__name", "song__owner__username")
    raw_id_fields = ("song", "step")
    list_select_related = ("song", "step")


@admin.register(Pack)
class PackAdmin(HttpsLinks, admin.ModelAdmin):
    list_display = ("name", "owner", "status", "priority", "release_date")
    list_filter = ("status", "priority")
    search_fields = ("name", "owner__username", "release_notes")
    raw_id_fields = ("owner",)
    list_select_related = ("owner",)
    actions = [reevaluate_owner_achievements]


@admin.register(AlbumSeries)
class AlbumSeriesAdmin(HttpsLinks, admin.ModelAdmin):
    list_display = ("series_number", "artist", "album", "year", "owner", "status", "tracklist_fetched_at")
    list_filter = ("status",)
    search_fields = ("artist", "album", "owner__username", "spotify_album_id")
    raw_id_fields = ("owner",)
    list_select_related = ("owner",)
    actions = [reevaluate_owner_achievements]


@admin.register(WorkflowStep)
class WorkflowStepAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "position")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    actions = [reevaluate_user_achievements]


@admin.register(Collaboration)
class CollaborationAdmin(admin.ModelAdmin):
    list_display = ("user", "permission", "state", "song", "pack", "invited_by", "created_at")
    list_filter = ("permission", "state")
    search_fields = ("user__username", "invited_by__username", "song__title", "pack__name")
    raw_id_fields = ("user", "invited_by", "song", "pack")
    list_select_related = ("user", "invited_by", "song", "pack")
    actions = [reevaluate_user_achievements]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("user", "code", "name", "points", "awarded_at", "seen_at")
    list_filter = ("code", ("seen_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "code")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    actions = [reevaluate_user_achievements]

    @admin.display(description="Name")
    def name(self, obj: Achievement) -> str:
        definition = catalogue.BY_CODE.get(obj.code)
        return definition.name if definition else obj.code


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "verb", "text")
    list_filter = ("verb",)
    search_fields = ("user__username", "text")
    raw_id_fields = ("user", "song", "pack")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(TrackerProfile)
class TrackerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "is_public", "updated_at")
    list_filter = ("is_public",)
    search_fields = ("user__username", "display_name", "bio")
    raw_id_fields = ("user",)
    actions = [reevaluate_user_achievements]
