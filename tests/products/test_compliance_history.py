"""A spoke's compliance over time, read from the history tables: each month's active
members by status as the registry stood at the month's end, by the same rule as today's
compliance; the current month equals today's counts; the cost does not grow with the
months or the members."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.compliance import summaries_for
from products.compliance_history import monthly_compliance, monthly_compliance_cached
from products.compliance_store import Held
from products.models import Assessment, Membership, Waiver
from spokes.models import Policy
from tests.conftest import make_assessment, make_community, make_membership, make_product

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def at(when: str) -> datetime.datetime:
    """An instant in the site's time zone, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"."""
    fmt = "%Y-%m-%d %H:%M" if " " in when else "%Y-%m-%d"
    return timezone.make_aware(datetime.datetime.strptime(when, fmt))


def dated(instance, when: str):
    """Give the history row the last write of ``instance`` left the date ``when`` (the
    writes of a test are made in date order)."""
    model = type(instance)
    row = model.history.filter(id=instance.pk).order_by("-history_id").first()
    model.history.filter(history_id=row.history_id).update(history_date=at(when))
    return instance


def policies(policy_set) -> dict[str, Policy]:
    return {p.code: p for p in policy_set.own_policies()}


def counts(month) -> dict[str, int]:
    return {status: n for status, n in month.counts.items() if n}


def test_each_month_counts_the_members_as_they_stood_at_its_end(community, policy_set):
    p = policies(policy_set)  # P1, P2 mandatory; P3 recommended
    a, b, c, d = (make_product(slug) for slug in ("a", "b", "c", "d"))
    # D was assessed before it joined: its assessment starts the chart in January.
    dated(make_assessment(d, p["P1"]), "2026-01-01")
    dated(make_assessment(d, p["P2"]), "2026-01-01")
    dated(make_membership(a, community), "2026-01-10")
    dated(make_membership(b, community), "2026-01-10")
    dated(make_assessment(a, p["P1"]), "2026-01-20")
    dated(make_assessment(a, p["P2"]), "2026-01-20")
    dated(make_assessment(a, p["P3"], "none"), "2026-01-20")  # recommended: no effect
    b_p1 = dated(make_assessment(b, p["P1"], "none"), "2026-01-20")
    dated(make_membership(c, community), "2026-02-05")
    c_p1 = dated(make_assessment(c, p["P1"], "partial"), "2026-02-05")
    dated(make_assessment(c, p["P2"]), "2026-02-05")
    c_waiver = Waiver.objects.create(
        product=c, policy=p["P1"], reason="Porting", expires_on=datetime.date(2026, 12, 31)
    )
    dated(c_waiver, "2026-02-10")
    c_waiver.revoked_at = at("2026-03-05")
    c_waiver.save()
    dated(c_waiver, "2026-03-05")
    b_p1.status = "full"
    b_p1.save()
    dated(b_p1, "2026-03-12")
    b_waiver = Waiver.objects.create(
        product=b, policy=p["P2"], reason="New CI", expires_on=datetime.date(2026, 4, 30)
    )
    dated(b_waiver, "2026-04-03")
    a_membership = Membership.objects.get(product=a)
    a_membership.state = Membership.State.OFFRAMPED
    a_membership.save()
    dated(a_membership, "2026-05-20")
    dated(make_membership(d, community), "2026-06-01")
    c_p1_pk = c_p1.pk
    c_p1.delete()
    Assessment.history.filter(id=c_p1_pk, history_type="-").update(history_date=at("2026-06-10"))
    make_membership(make_product("elsewhere"), make_community())  # another spoke's member

    trend = monthly_compliance(community, policy_set, today=TODAY)

    assert [m.label for m in trend.months] == [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
    ]  # fmt: skip
    assert [counts(m) for m in trend.months] == [
        {"compliant": 1, "noncompliant": 1},  # A met; B's P1 none
        {"compliant": 2, "noncompliant": 1},  # C partial on P1, waived
        {"compliant": 1, "partial": 1, "unknown": 1},  # waiver revoked; B's P1 full, P2 unknown
        {"compliant": 2, "partial": 1},  # B's P2 waived to the month's last day
        {"partial": 1, "unknown": 1},  # A offramped; B's waiver expired
        {"compliant": 1, "unknown": 2},  # D joined; C's P1 deleted
    ]
    assert [m.as_of for m in trend.months][-2:] == [datetime.date(2026, 5, 31), TODAY]
    assert [m.current for m in trend.months] == [False] * 5 + [True]


def test_a_change_counts_in_the_month_it_was_made(community, policy_set):
    p = policies(policy_set)
    a = make_product("a")
    dated(make_membership(a, community), "2026-02-01")
    dated(make_assessment(a, p["P1"]), "2026-02-01")
    late = dated(make_assessment(a, p["P2"], "none"), "2026-03-31 23:59")
    late.status = "full"
    late.save()
    dated(late, "2026-04-01 00:00")
    trend = monthly_compliance(community, policy_set, today=datetime.date(2026, 4, 2))
    assert [counts(m) for m in trend.months] == [
        {"unknown": 1},
        {"noncompliant": 1},
        {"compliant": 1},
    ]


def test_the_chart_covers_the_last_twelve_months_at_most(community, policy_set):
    p = policies(policy_set)
    a = make_product("a")
    dated(make_membership(a, community), "2024-01-01")
    dated(make_assessment(a, p["P1"], "none"), "2024-02-01")
    trend = monthly_compliance(community, policy_set, today=TODAY)
    assert [m.label for m in trend.months][:1] + [m.label for m in trend.months][-1:] == [
        "2025-07",
        "2026-06",
    ]
    assert len(trend.months) == 12
    assert all(counts(m) == {"noncompliant": 1} for m in trend.months)


def test_the_current_month_equals_todays_counts(community, policy_set):
    p = policies(policy_set)
    today = datetime.date.today()
    statuses = [("full", "full"), ("full", "none"), ("partial", "full"), ("full", None)]
    members = []
    for i, (s1, s2) in enumerate(statuses * 2):
        product = make_product(f"m{i}")
        make_membership(product, community)
        make_assessment(product, p["P1"], s1)
        if s2:
            make_assessment(product, p["P2"], s2)
        members.append(product)
    # A waiver in force, one expired, one revoked; a past member; another spoke's member.
    Waiver.objects.create(
        product=members[1], policy=p["P2"], reason="r", expires_on=today + datetime.timedelta(5)
    )
    Waiver.objects.create(
        product=members[5], policy=p["P2"], reason="r", expires_on=today - datetime.timedelta(1)
    )
    Waiver.objects.create(
        product=members[3],
        policy=p["P2"],
        reason="r",
        expires_on=today + datetime.timedelta(5),
        revoked_at=timezone.now(),
    )
    gone = make_product("gone")
    make_membership(gone, community, state="offramped")
    make_assessment(gone, p["P1"])
    other = make_product("other")
    make_membership(other, make_community(policy_set=policy_set))

    trend = monthly_compliance(community, policy_set)
    current = trend.months[-1]
    assert current.current and current.as_of == today

    active = [m.product for m in Membership.objects.active().filter(community=community)]
    today_statuses = Counter(s["base"].status for s in summaries_for(active, [policy_set]).values())
    assert current.counts == {s: today_statuses.get(s, 0) for s in current.counts}
    stored, _ = Held().by_community()[community.pk]
    assert current.counts == stored
    assert current.counts == {"compliant": 3, "partial": 2, "noncompliant": 1, "unknown": 2}


def test_the_cost_does_not_grow_with_months_or_members(community, policy_set):
    p = policies(policy_set)

    def grow(n: int, start: datetime.date) -> None:
        for i in range(n):
            product = make_product()
            dated(make_membership(product, community), start.isoformat())
            day = start + datetime.timedelta(days=31 * i)
            dated(make_assessment(product, p["P1"], "none"), day.isoformat())
            assessment = Assessment.objects.get(product=product, policy=p["P1"])
            assessment.status = "full"
            assessment.save()
            dated(assessment, (day + datetime.timedelta(days=20)).isoformat())

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            trend = monthly_compliance(community, policy_set, today=TODAY)
        return len(ctx.captured_queries), len(trend.months)

    grow(2, datetime.date(2026, 5, 1))
    small, small_months = cost()
    grow(10, datetime.date(2025, 8, 1))
    large, large_months = cost()
    assert (small_months, large_months) == (2, 11)
    assert small == large <= 6


def test_the_cached_reading_is_kept_until_the_next_write(community, policy_set):
    cache.clear()
    p = policies(policy_set)
    a = make_product("a")
    make_membership(a, community)
    make_assessment(a, p["P1"])
    first = monthly_compliance_cached(community, policy_set)
    assert counts(first.months[-1]) == {"unknown": 1}
    with CaptureQueriesContext(connection) as ctx:
        again = monthly_compliance_cached(community, policy_set)
    assert len(ctx.captured_queries) == 1  # the catalog version
    assert again.months == first.months
    make_assessment(a, p["P2"])
    assert counts(monthly_compliance_cached(community, policy_set).months[-1]) == {"compliant": 1}


def test_a_spoke_without_a_set_is_charted_against_the_hubs(policy_set):
    from spokes.models import Community

    make_community("hub", kind=Community.Kind.HUB, policy_set=policy_set)
    spoke = make_community("bare", name="Bare")
    p = policies(policy_set)
    for slug, status in (("a", "full"), ("b", "none")):
        product = make_product(slug)
        make_membership(product, spoke)
        make_assessment(product, p["P1"], status)
        make_assessment(product, p["P2"])
    trend = monthly_compliance(spoke, policy_set, hub_default=True)
    assert trend.hub_default
    assert counts(trend.months[-1]) == {"compliant": 1, "noncompliant": 1}
    stored, _ = Held().by_community()[spoke.pk]
    assert trend.months[-1].counts == stored
