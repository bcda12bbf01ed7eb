from django.contrib import admin, messages

from common.exceptions import Conflict

from . import services
from .models import (
    AlertChannel,
    CartPlan,
    CollectionItem,
    DiggerProfile,
    ExchangeRate,
    Listing,
    Notification,
    PriceBand,
    PriceHistory,
    ReleasePrice,
    SavedSearch,
    SearchRun,
)


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "platform", "query", "artist", "title", "interval_hours", "active", "last_run_at")
    list_filter = ("platform", "active", "seller_location")
    search_fields = ("name", "query", "artist", "title", "catno", "user__username")
    raw_id_fields = ("user",)
    actions = ["run_search", "sync_collection"]

    @admin.action(description="Run search now")
    def run_search(self, request, queryset):
        queued = 0
        for search in queryset:
            try:
                services.search_run_request(search=search)
                queued += 1
            except Conflict:
                continue
        self.message_user(request, f"Queued {queued} run(s).", messages.SUCCESS)

    @admin.action(description="Sync the owners' Discogs collections")
    def sync_collection(self, request, queryset):
        users = {s.user for s in queryset}
        for user in users:
            services.collection_sync_request(user=user)
        self.message_user(request, f"Queued {len(users)} collection sync(s).", messages.SUCCESS)


@admin.register(SearchRun)
class SearchRunAdmin(admin.ModelAdmin):
    list_display = ("id", "search", "status", "trigger", "found", "new", "changed", "gone", "created_at", "finished_at")
    list_filter = ("status", "trigger")
    search_fields = ("search__name", "message")
    raw_id_fields = ("search",)
    readonly_fields = ("report", "errors")


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "platform", "price", "currency", "seller", "status", "in_wantlist", "in_collection",
                    "match_method", "match_confidence")
    list_filter = ("platform", "status", "in_wantlist", "in_collection", "match_method")
    search_fields = ("title", "artist", "seller", "external_id", "catno")
    raw_id_fields = ("search", "first_run", "last_run")


@admin.register(CollectionItem)
class CollectionItemAdmin(admin.ModelAdmin):
    list_display = ("artist", "title", "kind", "release_id", "user", "date_added")
    list_filter = ("kind",)
    search_fields = ("artist", "title", "catno", "user__username")
    raw_id_fields = ("user",)


@admin.register(DiggerProfile)
class DiggerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "discogs_username", "discogs_check_ok", "ebay_check_ok", "email_digest", "collection_synced_at")
    list_filter = ("email_digest", "discogs_check_ok", "ebay_check_ok")
    search_fields = ("user__username", "discogs_username")
    exclude = ("discogs_token", "ebay_client_id", "ebay_client_secret", "webhook_secret")  # secrets never shown, even to staff
    raw_id_fields = ("user",)
    actions = ["sync_collection"]

    @admin.action(description="Sync collection and want list")
    def sync_collection(self, request, queryset):
        for profile in queryset:
            services.collection_sync_request(user=profile.user)
        self.message_user(request, f"Queued {queryset.count()} sync(s).", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "message", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("message", "user__username")


admin.site.register(PriceHistory)
admin.site.register(ReleasePrice)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Rates the cart and alerts convert with (units per 1 USD); settings.DIGGER_EXCHANGE_RATES fills gaps."""

    list_display = ("currency", "per_usd", "set_on")
    search_fields = ("currency",)


@admin.register(PriceBand)
class PriceBandAdmin(admin.ModelAdmin):
    list_display = ("release_id", "media_condition", "currency", "p25", "p50", "p75", "count", "method", "computed_at")
    list_filter = ("method", "media_condition", "currency")
    search_fields = ("release_id",)


@admin.register(CartPlan)
class CartPlanAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "status", "landed_total", "currency", "optimal", "created_at")
    list_filter = ("status", "optimal")
    raw_id_fields = ("user", "job")


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "url", "failures", "paused_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)
