"""Filters over funding calls, panel members, proposals, reviews and decisions (API)."""

from __future__ import annotations

import django_filters
from django import forms

from funding.models import FundingCall, FundingDecision, PanelMember, Proposal, Review


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (`?year=2026.5` is a 400, not an empty list)."""

    field_class = forms.IntegerField


class FundingCallFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=FundingCall.State.choices)
    year = IntegerFilter()

    class Meta:
        model = FundingCall
        fields = ["state", "year"]


class PanelMemberFilter(django_filters.FilterSet):
    call = django_filters.CharFilter(field_name="call__slug", label="Call (slug)")
    user = django_filters.CharFilter(field_name="user__username", label="User (username)")

    class Meta:
        model = PanelMember
        fields = ["call", "user"]


class ProposalFilter(django_filters.FilterSet):
    call = django_filters.CharFilter(field_name="call__slug", label="Call (slug)")
    state = django_filters.ChoiceFilter(choices=Proposal.State.choices)
    community = django_filters.CharFilter(field_name="community__slug", label="Community (slug)")
    product = django_filters.CharFilter(
        field_name="products__slug", label="Product (slug)", distinct=True
    )

    class Meta:
        model = Proposal
        fields = ["call", "state", "community", "product"]


class ReviewFilter(django_filters.FilterSet):
    call = django_filters.CharFilter(field_name="proposal__call__slug", label="Call (slug)")
    proposal = IntegerFilter(field_name="proposal_id", label="Proposal (id)")

    class Meta:
        model = Review
        fields = ["call", "proposal"]


class FundingDecisionFilter(django_filters.FilterSet):
    call = django_filters.CharFilter(field_name="proposal__call__slug", label="Call (slug)")
    outcome = django_filters.ChoiceFilter(choices=FundingDecision.Outcome.choices)

    class Meta:
        model = FundingDecision
        fields = ["call", "outcome"]
