from django.contrib import admin

from accounts.models import ApiToken, Preferences


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "notify_votes", "notify_requests", "notify_offramps", "updated_at"]
    list_filter = ["notify_votes", "notify_requests", "notify_offramps"]
    search_fields = ["user__username", "user__email"]
    # The feed's secret is derived from it: never shown, never edited here.
    exclude = ["feed_nonce"]
