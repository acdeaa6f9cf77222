from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from funding.models import (
    BudgetLine,
    Comment,
    Criterion,
    FundingCall,
    FundingDecision,
    PanelMember,
    Proposal,
    Review,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


@admin.register(FundingCall)
class FundingCallAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "year", "state", "envelope", "opens_at", "closes_at"]
    list_filter = ["state", "year"]
    search_fields = ["title", "slug"]
    inlines = [CriterionInline]


@admin.register(PanelMember)
class PanelMemberAdmin(SimpleHistoryAdmin):
    list_display = ["user", "call", "expertise"]
    list_filter = ["call"]
    autocomplete_fields = ["conflict_products"]


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ["title", "call", "community", "state", "author"]
    list_filter = ["state", "call"]
    search_fields = ["title", "team"]
    inlines = [BudgetLineInline]


admin.site.register(Review, SimpleHistoryAdmin)
admin.site.register(Comment, SimpleHistoryAdmin)
admin.site.register(FundingDecision, SimpleHistoryAdmin)
