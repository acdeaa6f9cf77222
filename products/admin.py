from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from products.models import (
    Area,
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "product"
    extra = 0
    fields = ["community", "state", "joined_at", "left_at", "source", "inferred"]


class ProductUseInline(admin.TabularInline):
    model = ProductUse
    extra = 0
    fields = ["stakeholder", "criticality", "note", "contact", "source"]
    autocomplete_fields = ["stakeholder"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "license", "spack_package", "updated_at"]
    list_filter = ["areas", "memberships__community", "memberships__state"]
    search_fields = ["name", "slug", "summary", "spack_package"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["areas", "maintainers"]
    inlines = [MembershipInline, ProductUseInline]


@admin.register(Dependency)
class DependencyAdmin(SimpleHistoryAdmin):
    list_display = ["product", "depends_on", "kind", "when", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["product__name", "depends_on__name"]
    autocomplete_fields = ["product", "depends_on"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["product", "community", "state", "joined_at", "left_at", "inferred"]
    list_filter = ["state", "community", "inferred"]
    search_fields = ["product__name", "community__name"]
    autocomplete_fields = ["product", "successor"]


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["product", "policy", "status", "source", "assessed_at"]
    list_filter = ["status", "source", "policy__policy_set"]
    search_fields = ["product__name", "policy__code", "justification"]
    autocomplete_fields = ["product"]


class StakeholderUseInline(admin.TabularInline):
    model = ProductUse
    extra = 0
    fields = ["product", "criticality", "note", "contact", "source"]
    autocomplete_fields = ["product"]


@admin.register(Stakeholder)
class StakeholderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind", "website", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["contacts"]
    inlines = [StakeholderUseInline]
    # A website typed without a scheme is an https one (and Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ProductUse)
class ProductUseAdmin(SimpleHistoryAdmin):
    list_display = ["product", "stakeholder", "criticality", "note", "source", "created_at"]
    list_filter = ["criticality", "stakeholder__kind", "stakeholder"]
    search_fields = ["product__name", "product__slug", "stakeholder__name", "note", "contact"]
    autocomplete_fields = ["product", "stakeholder"]
    list_select_related = ["product", "stakeholder"]
