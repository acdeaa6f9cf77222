"""The lifecycle as DESIGN §4 and §5 state it, written out independently of the code:
the expectations both the service tests and the API tests check against."""

from __future__ import annotations

from lifecycle.models import LifecycleRequest

STATES = list(LifecycleRequest.State.values)
ACTIONS = ["submit", "start_review", "approve", "reject", "withdraw"]
# (state, action) -> the state it leads to; every other pair is refused (409).
ALLOWED = {
    ("draft", "submit"): "submitted",
    ("submitted", "start_review"): "in_review",
    ("in_review", "approve"): "approved",
    ("in_review", "reject"): "rejected",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("in_review", "withdraw"): "withdrawn",
}
ROLES = [
    "anonymous",
    "stranger",
    "other_maintainer",
    "other_lead",
    "maintainer",
    "lead",
    "hub_admin",
]
# Who may take each action on a request of `maintainer`'s product into `lead`'s community.
MAY = {
    "submit": {"maintainer", "lead", "hub_admin"},
    "withdraw": {"maintainer", "lead", "hub_admin"},
    "start_review": {"lead", "hub_admin"},
    "approve": {"lead", "hub_admin"},
    "reject": {"lead", "hub_admin"},
}
