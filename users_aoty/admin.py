from django.contrib import admin, messages

from albums.services import unavailable
from integrations.errors import IntegrationError

from . import services
from .models import AotyUser, AotyUserFavorite, AotyUserRating


class FavoriteInline(admin.TabularInline):
    model = AotyUserFavorite
    extra = 0
    raw_id_fields = ("album",)


class RatingInline(admin.TabularInline):
    model = AotyUserRating
    extra = 0
    raw_id_fields = ("album",)
    fields = ("kind", "position", "album", "rating", "date_text")


@admin.register(AotyUser)
class AotyUserAdmin(admin.ModelAdmin):
    list_display = ("username", "display_name", "ratings_count", "reviews_count", "followers_count", "fetched_at", "view_count")
    search_fields = ("username", "display_name", "location")
    list_filter = (("fetched_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("created_at", "updated_at", "fetched_at", "view_count")
    inlines = [FavoriteInline, RatingInline]
    actions = ["rescrape_now"]

    @admin.action(description="Re-scrape now from AOTY")
    def rescrape_now(self, request, queryset):
        done = 0
        for user in queryset[:20]:
            try:
                services.aoty_user_fetch(username=user.username, refresh=True)
                done += 1
            except IntegrationError as exc:
                self.message_user(request, f"{user}: {unavailable(exc).detail}", messages.WARNING)
                break
        self.message_user(request, f"Re-scraped {done} profile(s).", messages.SUCCESS if done else messages.INFO)
