from django.contrib import admin

from .models import ApiToken
from .services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    actions = ["revoke"]

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        n = sum(api_token_revoke(user=t.user, token_id=t.pk) for t in queryset.filter(revoked_at__isnull=True))
        self.message_user(request, f"Revoked {n} token(s).")

    def has_add_permission(self, request):
        return False  # tokens are created by their owners, so only they ever see the plaintext
