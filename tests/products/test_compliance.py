from __future__ import annotations

import pytest

from products.compliance import summarize, summarize_many
from spokes.models import Policy
from tests.conftest import make_assessment, make_policy, make_policy_set, make_product


@pytest.fixture
def xsdk(db):
    e4s = make_policy_set("e4s")
    p1 = make_policy(e4s, "P1")
    make_policy(e4s, "P2")
    xsdk = make_policy_set("xsdk", base=e4s)
    make_policy(xsdk, "M1", adapts=p1)
    make_policy(xsdk, "M2")
    make_policy(xsdk, "R1", level=Policy.Level.RECOMMENDED)
    return xsdk


def _policy(code):
    return Policy.objects.get(code=code)


def test_a_product_with_every_mandatory_policy_full_or_justified_na_is_compliant(xsdk):
    product = make_product()
    make_assessment(product, _policy("M1"), "full")
    make_assessment(product, _policy("M2"), "na", justification="No MPI used.")
    make_assessment(product, _policy("P2"), "full")
    summary = summarize(product, xsdk)
    assert summary.status == "compliant"
    assert summary.counts == {"full": 2, "partial": 0, "none": 0, "na": 1, "unknown": 1}


def test_a_partial_mandatory_policy_makes_the_product_partial(xsdk):
    product = make_product()
    make_assessment(product, _policy("M1"), "full")
    make_assessment(product, _policy("M2"), "partial")
    make_assessment(product, _policy("P2"), "full")
    make_assessment(product, _policy("R1"), "none")
    summary = summarize(product, xsdk)
    assert summary.status == "partial"
    tally = {"met": 0, "partial": 0, "none": 0, "unknown": 0, "waived": 0}
    assert summary.as_dict() == {
        "status": "partial",
        "full": 2,
        "partial": 1,
        "none": 1,
        "na": 0,
        "unknown": 0,
        # M1, M2 own; P2 inherited from the base set; R1 recommended.
        "mandatory": {**tally, "met": 2, "partial": 1, "total": 3},
        "own": {**tally, "met": 1, "partial": 1, "total": 2},
        "inherited": {**tally, "met": 1, "total": 1},
        "recommended": {**tally, "none": 1, "total": 1},
        "missing": [
            {"code": "M2", "status": "partial", "level": "mandatory", "inherited": False},
            {"code": "R1", "status": "none", "level": "recommended", "inherited": False},
        ],
        "reason": "1/2 own mandatory met · M2 partial · 1/1 inherited from Policy set e4s met",
        "hub_default": False,
    }


def test_a_none_on_a_mandatory_policy_is_noncompliant(xsdk):
    product = make_product()
    make_assessment(product, _policy("M1"), "none")
    assert summarize(product, xsdk).status == "noncompliant"


def test_a_product_with_no_assessments_is_unknown(xsdk):
    summary = summarize(make_product(), xsdk)
    assert summary.status == "unknown"
    assert summary.counts["unknown"] == 4


def test_the_inherited_base_policy_counts_for_compliance(xsdk):
    product = make_product()
    make_assessment(product, _policy("M1"), "full")
    make_assessment(product, _policy("M2"), "full")
    assert summarize(product, xsdk).status == "unknown"  # P2 (inherited) is not assessed
    make_assessment(product, _policy("P2"), "full")
    assert summarize(product, xsdk).status == "compliant"


def test_bulk_summaries_use_a_fixed_number_of_queries(xsdk, django_assert_max_num_queries):
    products = [make_product() for _ in range(10)]
    for product in products:
        make_assessment(product, _policy("M1"), "full")
    with django_assert_max_num_queries(4):
        result = summarize_many(products, xsdk)
    assert {s.counts["full"] for s in result.values()} == {1}
