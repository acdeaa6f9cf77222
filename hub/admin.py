from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from hub.models import Release, ReleaseItem


class ReleaseItemInline(admin.TabularInline):
    model = ReleaseItem
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Release)
class ReleaseAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind", "community", "version", "date", "environment"]
    list_filter = ["kind", "environment", "community"]
    search_fields = ["name", "slug", "version"]
    inlines = [ReleaseItemInline]
