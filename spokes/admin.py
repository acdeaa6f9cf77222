from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat


class CommunityRoleInline(admin.TabularInline):
    model = CommunityRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind", "status", "area", "policy_set"]
    list_filter = ["kind", "status", "policy_set"]
    search_fields = ["name", "slug", "area", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CommunityRoleInline]


@admin.register(CommunityRole)
class CommunityRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["role", "community"]
    search_fields = ["user__username", "community__name"]
    autocomplete_fields = ["user", "community"]


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(GovernanceBody)
class GovernanceBodyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "community", "quorum", "threshold", "requires_vote"]
    list_filter = ["requires_vote"]
    search_fields = ["name", "community__name"]
    inlines = [SeatInline]


@admin.register(Seat)
class SeatAdmin(SimpleHistoryAdmin):
    list_display = ["user", "body", "represents", "represents_name", "term_start", "term_end"]
    list_filter = ["represents", "body"]
    search_fields = ["user__username", "represents_name"]


class PolicyInline(admin.TabularInline):
    model = Policy
    extra = 0
    fields = ["code", "version", "title", "level", "adapts", "position"]


@admin.register(PolicySet)
class PolicySetAdmin(SimpleHistoryAdmin):
    list_display = ["slug", "name", "version", "base", "owner"]
    search_fields = ["slug", "name"]
    inlines = [PolicyInline]


@admin.register(Policy)
class PolicyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "policy_set", "version", "level", "adapts"]
    list_filter = ["policy_set", "level", "version"]
    search_fields = ["code", "title", "summary"]
