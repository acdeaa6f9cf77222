from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "verb", "actor", "product", "community"]
    list_filter = ["verb"]
    search_fields = ["verb", "product__name", "community__name"]
    date_hierarchy = "created_at"
