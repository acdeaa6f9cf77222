from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from lifecycle.models import Vote
from spokes.models import CommunityRole, Policy
from tests.conftest import grant, make_body, make_community, make_policy, make_policy_set, make_user


@pytest.mark.django_db
def test_community_slugs_are_unique():
    make_community("xsdk")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_community("xsdk")


@pytest.mark.django_db
def test_policy_set_slugs_are_unique():
    make_policy_set("e4s")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_policy_set("e4s")


@pytest.mark.django_db
def test_a_policy_code_is_unique_within_a_set_version_but_not_across_sets():
    e4s = make_policy_set("e4s")
    xsdk = make_policy_set("xsdk")
    make_policy(e4s, "P1")
    make_policy(xsdk, "P1")  # another set may reuse the code
    make_policy(e4s, "P1", version="2.0")  # so may another version of the same set
    with pytest.raises(IntegrityError), transaction.atomic():
        make_policy(e4s, "P1")


@pytest.mark.django_db
def test_a_user_holds_a_role_in_a_community_once():
    user, community = make_user(), make_community()
    grant(user, community)
    with pytest.raises(IntegrityError), transaction.atomic():
        grant(user, community, CommunityRole.Role.LEAD)


@pytest.mark.django_db
def test_one_vote_per_seat_per_decision():
    from lifecycle.models import Decision

    voter = make_user()
    community = make_community()
    body = make_body(community, seats=[voter])
    seat = body.seats.get()
    decision = Decision.objects.create(community=community, body=body, subject="Onramp x")
    Vote.objects.create(decision=decision, seat=seat, voter=voter, choice="yes")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(decision=decision, seat=seat, voter=voter, choice="no")


@pytest.mark.django_db
def test_quorum_and_threshold_must_be_fractions():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_body(make_community(), quorum=2)


def _codes(policies):
    return [(p.code, p.inherited) for p in policies]


@pytest.mark.django_db
def test_effective_policies_replace_the_adapted_base_policy_and_inherit_the_rest():
    e4s = make_policy_set("e4s", version="1.0")
    p1 = make_policy(e4s, "P1", title="Spack build")
    make_policy(e4s, "P2", title="Validation testing")
    xsdk = make_policy_set("xsdk", version="1.0.0", base=e4s)
    make_policy(xsdk, "M1", title="Spack installation", adapts=p1)
    make_policy(xsdk, "R1", title="Smoke test", level=Policy.Level.RECOMMENDED)

    assert _codes(xsdk.effective_policies()) == [("M1", False), ("R1", False), ("P2", True)]
    assert _codes(e4s.effective_policies()) == [("P1", False), ("P2", False)]


@pytest.mark.django_db
def test_effective_policies_use_only_the_version_in_force():
    e4s = make_policy_set("e4s", version="1.0")
    make_policy(e4s, "P1", version="1.0", title="Old wording")
    make_policy(e4s, "P1", version="2.0", title="New wording")
    assert [p.title for p in e4s.effective_policies()] == ["Old wording"]
    e4s.version = "2.0"
    e4s.save()
    assert [p.title for p in e4s.effective_policies()] == ["New wording"]
