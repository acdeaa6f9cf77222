"""What the request page offers beside its checklist: for each failing item, the page where
it is fixed and whether the viewer may fix it there (DESIGN §4, §5).

Presentation only: the items come from ``lifecycle.checklist``, who may act from the
``access`` modules (the rules the fixing pages themselves ask), so a link is offered only to
someone the page behind it will let in; everyone else is told who fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from lifecycle import transitions
from lifecycle.checklist import Item
from lifecycle.models import LifecycleRequest
from products import access as product_access

MAINTAINERS = "the product's maintainers"
MAINTAINERS_OR_LEADS = "the product's maintainers or the community's leads"
ASSESSORS = "the product's maintainers or the leads of a community it belongs to"
LEADS = "the community's leads"


@dataclass(frozen=True)
class Fix:
    text: str  # what to do there, e.g. "Edit the product's details"
    url: str
    allowed: bool  # whether the viewer may do it (else the page shows who does)
    who: str


def checklist_rows(user, req: LifecycleRequest, items: list[Item]) -> list[tuple[Item, list[Fix]]]:
    """Each item with the fixes offered for it: none for a passing item, nor once the
    request is decided (its checklist is then a record)."""
    open_request = req.state in transitions.OPEN_STATES
    fixes = _Fixes(user, req)
    return [
        (item, fixes.for_key(item.key) if open_request and not item.passed else [])
        for item in items
    ]


class _Fixes:
    """The fixes of each item key, asking each permission once."""

    def __init__(self, user, req: LifecycleRequest) -> None:
        self.user, self.req, self.product = user, req, req.product
        self._cache: dict[str, bool] = {}

    def _may(self, name: str) -> bool:
        if name not in self._cache:
            user, product = self.user, self.product
            rules = {
                "edit": lambda: product_access.can_edit_product(user, product),
                "assess": lambda: product_access.can_assess(user, product),
                "update": lambda: transitions.can_update(user, self.req),
                "confirm": lambda: product_access.may_confirm_interoperability(user),
                "waive": self._may_waive,
            }
            self._cache[name] = bool(rules[name]())
        return self._cache[name]

    def _may_waive(self) -> bool:
        policy_set = self.req.community.policy_set
        return policy_set is not None and bool(
            product_access.waivable_set_ids(self.user, [policy_set])
        )

    def _product_url(self, name: str, query: str = "") -> str:
        return reverse(f"products:{name}", kwargs={"slug": self.product.slug}) + query

    def for_key(self, key: str) -> list[Fix]:
        builder = getattr(self, f"_{key}", None)
        return builder() if builder is not None else []

    def _product_details(self) -> list[Fix]:
        return [
            Fix(
                "Edit the product's details",
                self._product_url("edit"),
                self._may("edit"),
                MAINTAINERS,
            )
        ]

    _metadata = _public_repository = _spack_package = _product_details

    def _policies(self) -> list[Fix]:
        policy_set = self.req.community.policy_set
        query = f"?policy_set={policy_set.slug}" if policy_set is not None else ""
        fixes = [
            Fix(
                "Assess the mandatory policies",
                self._product_url("assessments", query),
                self._may("assess"),
                ASSESSORS,
            )
        ]
        if self._may("waive"):
            fixes.append(Fix("Waive a policy", self._product_url("waiver-new"), True, LEADS))
        return fixes

    def _interoperability(self) -> list[Fix]:
        fixes = [
            Fix(
                "Record a dependency on an active member",
                self._product_url("dependencies"),
                self._may("edit"),
                MAINTAINERS,
            )
        ]
        if self._may("confirm"):
            fixes.append(
                Fix(
                    "Confirm interoperability with an active member",
                    self._product_url("interoperability-new"),
                    True,
                    LEADS,
                )
            )
        return fixes

    def _membership_pointer(self) -> list[Fix]:
        url = self.product.get_absolute_url() + "#memberships-h"
        return [Fix("See the product's memberships", url, True, MAINTAINERS_OR_LEADS)]

    _not_member = _active_membership = _membership_pointer

    def _request_edit(self, text: str) -> list[Fix]:
        url = reverse("lifecycle:request-edit", kwargs={"pk": self.req.pk})
        return [Fix(text, url, self._may("update"), MAINTAINERS_OR_LEADS)]

    def _sustainability_plan(self) -> list[Fix]:
        return self._request_edit("Edit the offramp plan")

    def _dependents(self) -> list[Fix]:
        return self._request_edit("Name a successor or acknowledge the dependents")
