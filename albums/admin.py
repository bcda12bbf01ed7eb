from django.contrib import admin, messages
from django.db.models import QuerySet

from integrations.errors import IntegrationError

from . import services
from .models import (
    Album,
    AlbumGenre,
    Artist,
    CriticReview,
    DiscoveryEntry,
    DiscoveryList,
    Genre,
    Label,
    ScrapeLog,
    Track,
    UserReview,
)


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0
    fields = ("disc", "number", "title", "length_seconds", "rating", "rating_count")


class CriticReviewInline(admin.TabularInline):
    model = CriticReview
    extra = 0
    fields = ("position", "publication", "author", "score", "url")


class UserReviewInline(admin.TabularInline):
    model = UserReview
    extra = 0
    fields = ("section", "position", "username", "rating", "likes", "date_text")


class AlbumGenreInline(admin.TabularInline):
    model = AlbumGenre
    extra = 0


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("title", "artist_name", "year", "album_type", "critic_score", "user_score", "must_hear", "fetched_at", "view_count")
    list_filter = ("must_hear", "album_type", ("fetched_at", admin.EmptyFieldListFilter), "year")
    search_fields = ("title", "artist_name", "aoty_id")
    readonly_fields = ("created_at", "updated_at", "fetched_at", "similar_fetched_at", "view_count")
    filter_horizontal = ("artists", "labels")
    inlines = [AlbumGenreInline, TrackInline, CriticReviewInline, UserReviewInline]
    actions = ["rescrape_now"]

    @admin.action(description="Re-scrape now from AOTY")
    def rescrape_now(self, request, queryset: QuerySet[Album]):
        done = 0
        for album in queryset[:20]:
            try:
                services.album_scrape(url=album.url or f"/album/{album.aoty_id}.php", refresh=True)
                done += 1
            except IntegrationError as exc:
                self.message_user(request, f"{album}: {services.unavailable(exc).detail}", messages.WARNING)
                break
        self.message_user(request, f"Re-scraped {done} album(s).", messages.SUCCESS if done else messages.INFO)


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ("name", "aoty_id", "created_at")
    search_fields = ("name", "aoty_id")


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("name", "aoty_id")
    search_fields = ("name",)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "aoty_id")
    search_fields = ("name",)


class DiscoveryEntryInline(admin.TabularInline):
    model = DiscoveryEntry
    extra = 0
    raw_id_fields = ("album",)
    fields = ("page", "position", "rank", "album", "date_text")


@admin.register(DiscoveryList)
class DiscoveryListAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "kind", "pages_fetched", "has_more", "fetched_at")
    list_filter = ("kind",)
    search_fields = ("key", "title")
    inlines = [DiscoveryEntryInline]


@admin.register(ScrapeLog)
class ScrapeLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "status", "duration_ms", "fetcher", "url")
    list_filter = ("status", "kind", "fetcher")
    search_fields = ("url", "error")
    readonly_fields = [f.name for f in ScrapeLog._meta.fields]
