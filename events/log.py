"""The append-only event log: one function writes every entry, and `Verb` names them."""

from __future__ import annotations

from typing import Any

from events.models import Event


class Verb:
    PRODUCT_REGISTERED = "product_registered"
    PRODUCT_UPDATED = "product_updated"
    DEPENDENCIES_CHANGED = "dependencies_changed"
    ASSESSMENT_CHANGED = "assessment_changed"
    COMMUNITY_CREATED = "community_created"
    COMMUNITY_UPDATED = "community_updated"
    POLICY_SET_CREATED = "policy_set_created"
    POLICY_SET_UPDATED = "policy_set_updated"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    REQUEST_CREATED = "request_created"
    REQUEST_UPDATED = "request_updated"
    REQUEST_SUBMITTED = "request_submitted"
    REVIEW_STARTED = "review_started"
    VOTE_CAST = "vote_cast"
    REQUEST_APPROVED = "request_approved"
    REQUEST_REJECTED = "request_rejected"
    REQUEST_WITHDRAWN = "request_withdrawn"
    DECISION_TAKEN = "decision_taken"
    ONRAMPED = "onramped"
    OFFRAMPED = "offramped"
    CATALOG_IMPORTED = "catalog_imported"
    STAKEHOLDER_CREATED = "stakeholder_created"
    STAKEHOLDER_UPDATED = "stakeholder_updated"
    PRODUCT_USE_RECORDED = "product_use_recorded"
    PRODUCT_USE_REMOVED = "product_use_removed"
    WAIVER_GRANTED = "waiver_granted"
    WAIVER_REVOKED = "waiver_revoked"
    WAIVER_EXPIRED = "waiver_expired"
    INTEROPERABILITY_CONFIRMED = "interoperability_confirmed"
    FUNDING_CALL_CREATED = "funding_call_created"
    FUNDING_CALL_UPDATED = "funding_call_updated"
    FUNDING_CALL_OPENED = "funding_call_opened"
    FUNDING_REVIEW_STARTED = "funding_review_started"
    FUNDING_CALL_DECIDED = "funding_call_decided"
    PANEL_MEMBER_APPOINTED = "panel_member_appointed"
    PANEL_MEMBER_UPDATED = "panel_member_updated"
    PROPOSAL_CREATED = "proposal_created"
    PROPOSAL_UPDATED = "proposal_updated"
    PROPOSAL_SUBMITTED = "proposal_submitted"
    PROPOSAL_WITHDRAWN = "proposal_withdrawn"
    PROPOSAL_REVIEWED = "proposal_reviewed"
    PROPOSAL_COMMENTED = "proposal_commented"
    FUNDING_DECIDED = "funding_decided"
    RELEASE_CREATED = "release_created"
    RELEASE_UPDATED = "release_updated"
    RELEASE_DELETED = "release_deleted"
    PLAN_CREATED = "plan_created"
    PLAN_UPDATED = "plan_updated"
    MILESTONE_ADDED = "milestone_added"
    PROGRESS_RECORDED = "progress_recorded"
    CHANGE_REQUESTED = "change_requested"
    CHANGE_APPROVED = "change_approved"
    CHANGE_REJECTED = "change_rejected"
    PLAN_ASSESSED = "plan_assessed"
    MEETING_CREATED = "meeting_created"
    MEETING_UPDATED = "meeting_updated"


def record(
    verb: str,
    *,
    actor=None,
    product=None,
    community=None,
    request=None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append an event. Call it inside the same transaction as the change it records."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return Event.objects.create(
        verb=verb,
        actor=actor,
        product=product,
        community=community,
        request=request,
        data=data or {},
    )
