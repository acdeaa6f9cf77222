"""Funding personas and a small funding world, built straight in the database (the API
tests build their own round through the API).

Personas beside the suite's (``stranger``, ``maintainer``, ``lead`` of ``community``,
``other_lead``, ``hub_admin``):
- ``panelist``: on the panel of every call of the world, no conflict.
- ``conflicted``: on the panel too, declaring a conflict with ``product`` (widget).
- ``stakeholder_contact``: a contact of a stakeholder.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from funding.models import (
    BudgetLine,
    Criterion,
    FundingCall,
    PanelMember,
    Proposal,
    Review,
)
from products.models import Stakeholder
from tests.conftest import make_user

CRITERIA = (
    ("Impact", Decimal("3"), "5: used across facilities"),
    ("Feasibility", Decimal("2"), ""),
)


def make_call(slug: str, state: str = FundingCall.State.OPEN, **overrides) -> FundingCall:
    defaults = {
        "title": f"Call {slug}",
        "year": 2026,
        "envelope": Decimal("100000"),
        "opens_at": datetime.date(2026, 1, 1),
        "closes_at": datetime.date(2026, 3, 31),
        "state": state,
    }
    defaults.update(overrides)
    call = FundingCall.objects.create(slug=slug, **defaults)
    for n, (name, weight, guide) in enumerate(CRITERIA):
        Criterion.objects.create(call=call, name=name, weight=weight, guide=guide, position=n)
    return call


def seat(call: FundingCall, user, *, products=(), institutions=(), expertise="") -> PanelMember:
    member = PanelMember.objects.create(
        call=call, user=user, expertise=expertise, conflict_institutions=list(institutions)
    )
    member.conflict_products.set(products)
    return member


def make_proposal(
    call: FundingCall,
    community,
    author,
    *,
    products=(),
    state: str = Proposal.State.DRAFT,
    budget=(("personnel", 2026, "40000"),),
    **overrides,
) -> Proposal:
    defaults = {"title": "Better builds", "team": "Build team", "work_plan": "# Plan\n\nWork."}
    defaults.update(overrides)
    proposal = Proposal.objects.create(
        call=call, community=community, author=author, state=state, **defaults
    )
    proposal.products.set(products)
    for category, year, amount in budget:
        BudgetLine.objects.create(
            proposal=proposal, category=category, year=year, amount=Decimal(amount)
        )
    return proposal


@pytest.fixture
def panelist(db):
    return make_user("panelist")


@pytest.fixture
def conflicted(db):
    return make_user("conflicted")


@pytest.fixture
def stakeholder_contact(db):
    user = make_user("stakeholder_contact")
    Stakeholder.objects.create(slug="facility", name="A facility").contacts.add(user)
    return user


@pytest.fixture
def funding_world(
    community, product, maintainer, lead, other_lead, hub_admin, panelist, conflicted
) -> dict:
    """Calls in each state, a panel (one member conflicted with ``product``), and
    proposals by ``maintainer`` for ``product`` in ``community``:

    - ``draft_call``: a draft call.
    - ``open_call``: open, the panel appointed; ``draft`` is a draft proposal to it and
      ``submitted`` a submitted one.
    - ``review_call``: under review; ``under_review`` (for ``product``: ``conflicted``
      may not review it) is unscored, ``scored`` has ``panelist``'s review, so it is ready
      for a decision.
    """
    draft_call = make_call("draft-call", FundingCall.State.DRAFT)
    open_call = make_call("open-call")
    review_call = make_call("review-call", FundingCall.State.UNDER_REVIEW)
    for call in (open_call, review_call):
        seat(call, panelist, expertise="Build systems")
        seat(call, conflicted, products=[product], expertise="Numerics")
    draft = make_proposal(open_call, community, maintainer, products=[product])
    submitted = make_proposal(
        open_call, community, maintainer, products=[product], state="submitted"
    )
    under_review = make_proposal(
        review_call, community, maintainer, products=[product], state="under_review"
    )
    scored = make_proposal(
        review_call, community, maintainer, products=[product], state="under_review"
    )
    member = PanelMember.objects.get(call=review_call, user=panelist)
    Review.objects.create(
        proposal=scored, panel_member=member, scores={"Impact": 4, "Feasibility": 3}
    )
    return {
        "draft_call": draft_call,
        "open_call": open_call,
        "review_call": review_call,
        "draft": draft,
        "submitted": submitted,
        "under_review": under_review,
        "scored": scored,
    }
