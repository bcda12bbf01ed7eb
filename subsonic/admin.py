from django.contrib import admin

from .models import Play, Playlist, PlaylistEntry, Star


class PlaylistEntryInline(admin.TabularInline):
    model = PlaylistEntry
    extra = 0


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "public", "updated_at")
    search_fields = ("name", "user__username")
    inlines = [PlaylistEntryInline]


@admin.register(Star)
class StarAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "item_id", "starred_at")
    list_filter = ("kind",)


@admin.register(Play)
class PlayAdmin(admin.ModelAdmin):
    list_display = ("user", "song_id", "album_id", "played_at", "forwarded")
    list_filter = ("forwarded",)
