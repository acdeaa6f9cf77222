from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from products.models import Membership
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
)


@pytest.mark.django_db
def test_product_slugs_are_unique():
    make_product("petsc")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product("petsc")


@pytest.mark.django_db
def test_a_product_cannot_depend_on_itself():
    petsc = make_product("petsc")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_dependency(petsc, petsc)


@pytest.mark.django_db
def test_a_dependency_edge_is_recorded_once():
    petsc, hypre = make_product("petsc"), make_product("hypre")
    make_dependency(petsc, hypre)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_dependency(petsc, hypre, kind="optional")


@pytest.mark.django_db
def test_one_assessment_per_product_and_policy():
    policy = make_policy(make_policy_set())
    product = make_product()
    make_assessment(product, policy, "full")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_assessment(product, policy, "none")


@pytest.mark.django_db
def test_partial_and_not_applicable_need_a_justification():
    policy = make_policy(make_policy_set())
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_assessment(product, policy, "na", justification="")


@pytest.mark.django_db
def test_at_most_one_active_membership_per_product_and_community_but_history_is_kept():
    product, community = make_product(), make_community()
    make_membership(product, community, state=Membership.State.OFFRAMPED)
    make_membership(product, community, state=Membership.State.OFFRAMPED)
    make_membership(product, community, state=Membership.State.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_membership(product, community, state=Membership.State.ACTIVE)
    assert product.memberships.count() == 3


@pytest.mark.django_db
def test_an_offramped_membership_with_support_ahead_reads_as_sunsetting():
    product, community = make_product(), make_community()
    ahead = make_membership(
        product,
        community,
        state=Membership.State.OFFRAMPED,
        end_of_support=datetime.date.today() + datetime.timedelta(days=30),
    )
    past = make_membership(
        product,
        community,
        state=Membership.State.OFFRAMPED,
        end_of_support=datetime.date.today() - datetime.timedelta(days=1),
    )
    assert ahead.display_state == "sunsetting"
    assert past.display_state == "offramped"
