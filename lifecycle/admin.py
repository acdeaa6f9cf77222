from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from lifecycle.models import Decision, LifecycleRequest, Vote


@admin.register(LifecycleRequest)
class LifecycleRequestAdmin(SimpleHistoryAdmin):
    list_display = ["id", "kind", "product", "community", "state", "created_at"]
    list_filter = ["kind", "state", "community"]
    search_fields = ["product__name", "rationale"]
    autocomplete_fields = ["product", "successor"]


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "community", "outcome", "opened_at", "closed_at"]
    list_filter = ["outcome", "community"]
    search_fields = ["subject", "rationale"]
    inlines = [VoteInline]


@admin.register(Vote)
class VoteAdmin(SimpleHistoryAdmin):
    list_display = ["decision", "voter", "choice", "cast_at"]
    list_filter = ["choice"]
    search_fields = ["voter__username", "decision__subject"]
