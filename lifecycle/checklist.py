"""The onramp/offramp checklist (DESIGN §4): computed on demand, never stored.

``compute(request)`` answers the same list at submit (for information: a request with failing
items may still be submitted), at approve (every item must pass) and for the request page
and ``GET requests/{id}/checklist/``.

Public repository rule: the repository URL must be an ``https://`` URL on any host, or an
``http://`` URL on a well-known public forge (GitHub, GitLab.com, Bitbucket, Codeberg,
SourceForge). An ``http://`` URL elsewhere, or anything that is not a web URL (``git@...``,
``file:``), fails: the policy is about a repository anyone can reach over the web.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lifecycle.models import LifecycleRequest
from products import compliance
from products.models import Dependency, Interoperability, Membership, Product, ProductUse

PUBLIC_FORGES = frozenset(
    {
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "codeberg.org",
        "sourceforge.net",
    }
)

REQUIRED_METADATA = (
    ("summary", "summary"),
    ("repository_url", "repository"),
    ("license", "license"),
    ("contact_email", "contact"),
)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "passed": self.passed, "detail": self.detail}


@dataclass
class Checklist:
    kind: str
    items: list[Item] = field(default_factory=list)
    # Offramp only, the impact list: active products that depend on the product, and the
    # stakeholders recorded as using it (``ProductUse`` rows, stakeholder loaded).
    dependents: list[Product] = field(default_factory=list)
    uses: list[ProductUse] = field(default_factory=list)

    @property
    def stakeholders(self) -> list:
        return [use.stakeholder for use in self.uses]

    @property
    def critical_uses(self) -> list[ProductUse]:
        """The uses whose stakeholder marks the product critical: an offramp waits for the
        approver to acknowledge them (``transitions.approval_check``)."""
        return [use for use in self.uses if use.criticality == ProductUse.Criticality.CRITICAL]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def failing(self) -> list[Item]:
        return [item for item in self.items if not item.passed]

    def failing_summary(self) -> str:
        return "; ".join(
            f"{item.label}" + (f" ({item.detail})" if item.detail else "") for item in self.failing
        )


def is_public_repository(url: str) -> bool:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme == "http":
        return host.removeprefix("www.") in PUBLIC_FORGES
    return False


def compute(
    request: LifecycleRequest,
    *,
    successor: Product | None = None,
    acknowledge_dependents: bool | None = None,
) -> Checklist:
    """The checklist of ``request``. ``successor``/``acknowledge_dependents`` override the
    request's own values (the approve action may carry them)."""
    if request.kind == LifecycleRequest.Kind.ONRAMP:
        return _onramp(request)
    return _offramp(
        request,
        successor=successor if successor is not None else request.successor,
        acknowledge=(
            acknowledge_dependents
            if acknowledge_dependents is not None
            else request.acknowledge_dependents
        ),
    )


def _has_active_membership(product: Product, community) -> bool:
    return Membership.objects.active().filter(product=product, community=community).exists()


def _onramp(request: LifecycleRequest) -> Checklist:
    product, community = request.product, request.community
    items = [
        _metadata_item(product),
        _repository_item(product),
        _spack_item(product),
        _policies_item(product, community.policy_set),
        _not_member_item(product, community),
    ]
    if community.requires_interoperability:
        items.append(_interoperability_item(product, community))
    return Checklist(kind=request.kind, items=items)


def _metadata_item(product: Product) -> Item:
    missing = [label for attr, label in REQUIRED_METADATA if not getattr(product, attr).strip()]
    return Item(
        "metadata",
        "Required metadata present (summary, repository, license, contact)",
        not missing,
        f"Missing: {', '.join(missing)}." if missing else "",
    )


def _repository_item(product: Product) -> Item:
    url = product.repository_url
    public = bool(url) and is_public_repository(url)
    detail = "" if public else (f"Not a public web URL: {url}" if url else "No repository URL.")
    return Item("public_repository", "Public repository URL", public, detail)


def _spack_item(product: Product) -> Item:
    named = bool(product.spack_package.strip())
    return Item(
        "spack_package", "Spack package named", named, "" if named else "No Spack package name."
    )


def _policies_item(product: Product, policy_set) -> Item:
    if policy_set is None:
        return Item("policies", "Mandatory policies met", True, "The community has no policy set.")
    summary = compliance.summarize(product, policy_set)
    failing = [
        f"{i.policy.code} ({i.status})"
        for i in summary.items
        if i.policy.is_mandatory and not i.satisfied
    ]
    return Item(
        "policies",
        f"Mandatory policies of {policy_set} assessed full, or n/a with a justification",
        not failing,
        f"Not satisfied: {', '.join(failing)}." if failing else "",
    )


def _not_member_item(product: Product, community) -> Item:
    already = _has_active_membership(product, community)
    return Item(
        "not_member",
        "Not already an active member",
        not already,
        f"{product} is already an active member of {community}." if already else "",
    )


INTEROPERABILITY_LABEL = (
    "Interoperates with an active member: a recorded dependency with an active member "
    "(standing in for the tested interoperability xSDK asks for), or interoperability "
    "confirmed with one by a lead, with evidence"
)


def _interoperability_item(product: Product, community) -> Item:
    """Interoperability confirmed with an active member (``Interoperability``, either
    direction), or failing that a recorded dependency, in either direction, with one; the
    detail says which satisfied it. Vacuously true while the community has no member."""
    members = Membership.objects.active().filter(community=community).exclude(product=product)
    label = INTEROPERABILITY_LABEL
    if not members.exists():
        return Item("interoperability", label, True, "The community has no active member yet.")
    member_ids = members.values("product_id")
    # Two plain queries per kind rather than a UNION: SQLite refuses ordered compound selects.
    confirmed = _partners(
        Interoperability.objects.filter(product=product, partner__in=member_ids),
        "partner__slug",
        Interoperability.objects.filter(partner=product, product__in=member_ids),
        "product__slug",
    )
    if confirmed:
        return Item(
            "interoperability",
            label,
            True,
            f"Interoperability confirmed with: {', '.join(confirmed)}.",
        )
    recorded = _partners(
        Dependency.objects.filter(product=product, depends_on__in=member_ids),
        "depends_on__slug",
        Dependency.objects.filter(depends_on=product, product__in=member_ids),
        "product__slug",
    )
    if recorded:
        return Item(
            "interoperability",
            label,
            True,
            f"A recorded dependency with: {', '.join(recorded)} (no interoperability "
            "confirmed yet).",
        )
    return Item(
        "interoperability",
        label,
        False,
        "No recorded dependency with an active member, and no interoperability confirmed with one.",
    )


def _partners(one, one_field: str, other, other_field: str) -> list[str]:
    return sorted(
        {*one.values_list(one_field, flat=True), *other.values_list(other_field, flat=True)}
    )


def dependents_of(product: Product) -> list[Product]:
    """Active products (a member of any spoke) that depend on ``product``."""
    return list(
        Product.objects.filter(
            dependencies__depends_on=product, memberships__state=Membership.State.ACTIVE
        )
        .exclude(pk=product.pk)
        .distinct()
        .order_by("name")
    )


def uses_of(product: Product) -> list[ProductUse]:
    """Stakeholders recorded as using ``product`` (each ``ProductUse`` with its stakeholder),
    by stakeholder name."""
    return list(
        ProductUse.objects.filter(product=product)
        .select_related("stakeholder")
        .order_by("stakeholder__name", "pk")
    )


def _offramp(
    request: LifecycleRequest, *, successor: Product | None, acknowledge: bool
) -> Checklist:
    product, community = request.product, request.community
    dependents, uses = dependents_of(product), uses_of(product)
    items = [
        _membership_item(product, community),
        _plan_item(request),
        _impact_item(dependents, uses, successor=successor, acknowledge=acknowledge),
    ]
    return Checklist(kind=request.kind, items=items, dependents=dependents, uses=uses)


def _membership_item(product: Product, community) -> Item:
    member = _has_active_membership(product, community)
    return Item(
        "active_membership",
        "An active membership to close",
        member,
        "" if member else f"{product} is not an active member of {community}.",
    )


def _plan_item(request: LifecycleRequest) -> Item:
    missing = []
    if not (request.support_organization.strip() or request.end_of_support):
        missing.append("a designated support organisation or an end-of-support date")
    if not request.migration_notes.strip():
        missing.append("migration notes")
    return Item(
        "sustainability_plan",
        "Sustainability plan (support organisation or end of support, and migration notes)",
        not missing,
        f"Missing: {' and '.join(missing)}." if missing else "",
    )


def _impact_item(
    dependents: list[Product],
    uses: list[ProductUse],
    *,
    successor: Product | None,
    acknowledge: bool,
) -> Item:
    """Active dependents and recorded users: none, or a successor, or an acknowledgement."""
    label = "Dependent products and recorded users have a successor or are acknowledged"
    impact = []
    if dependents:
        impact.append(f"depended on by {', '.join(p.slug for p in dependents)}")
    if uses:
        users = ", ".join(
            f"{u.stakeholder.name} ({u.stakeholder.get_kind_display()}"
            + (", critical" if u.criticality == ProductUse.Criticality.CRITICAL else "")
            + ")"
            for u in uses
        )
        impact.append(f"used by {users}")
    if not impact:
        detail = "No active product depends on it and no stakeholder is recorded using it."
        return Item("dependents", label, True, detail)
    summary = "; ".join(impact)
    summary = summary[:1].upper() + summary[1:]
    if successor is not None:
        return Item("dependents", label, True, f"{summary}; successor: {successor.slug}.")
    if acknowledge:
        return Item("dependents", label, True, f"{summary}; acknowledged.")
    detail = f"{summary}: name a successor or acknowledge the dependents."
    return Item("dependents", label, False, detail)
