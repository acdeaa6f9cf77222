from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from planning.models import (
    AgendaItem,
    AnnualPlan,
    ChangeRequest,
    Meeting,
    MeetingOutcome,
    Milestone,
    ProgressUpdate,
)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "owner", "owner_name", "due", "status"]
    readonly_fields = ["status"]


@admin.register(AnnualPlan)
class AnnualPlanAdmin(SimpleHistoryAdmin):
    list_display = ["community", "year"]
    list_filter = ["year", "community"]
    inlines = [MilestoneInline]


class ProgressUpdateInline(admin.TabularInline):
    model = ProgressUpdate
    extra = 0


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["title", "plan", "due", "status"]
    list_filter = ["status", "plan__year"]
    search_fields = ["title"]
    autocomplete_fields = ["products"]
    inlines = [ProgressUpdateInline]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "plan", "kind", "state", "decided_on"]
    list_filter = ["kind", "state"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


class MeetingOutcomeInline(admin.TabularInline):
    model = MeetingOutcome
    extra = 0
    raw_id_fields = ["milestone", "change_request"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "kind", "starts", "ends", "place"]
    list_filter = ["kind"]
    search_fields = ["title", "slug"]
    inlines = [AgendaItemInline, MeetingOutcomeInline]
