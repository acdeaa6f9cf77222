"""A whole funding round through the API (issue 17's acceptance): a call with three weighted
criteria, three proposals, the panel's reviews (a conflicted reviewer refused, nothing
written), the ranking by weighted score, decisions within the envelope (an overspend
refused), and the published page."""

from __future__ import annotations

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.db import connections
from rest_framework.test import APIClient

from events.models import Event
from funding.models import FundingDecision, Proposal, Review
from tests.conftest import make_product, make_user
from tests.funding.conftest import make_call, make_proposal, seat

CRITERIA = [
    {"name": "Impact", "weight": "3", "guide": "5: relied on by several facilities"},
    {"name": "Sustainability", "weight": "2", "guide": "5: a team and a plan beyond the award"},
    {"name": "Feasibility", "weight": "1", "guide": "5: the plan fits the budget"},
]


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def _proposal(client, community, *, title, products, amounts, institution=""):
    body = {
        "call": "sustain-2026",
        "title": title,
        "team": f"{title} team",
        "institution": institution,
        "community": community.slug,
        "products": products,
        "work_plan": f"## {title}\n\n- *Release* twice a year.",
        "budget": [
            {"category": "personnel", "year": 2026, "amount": amounts[0]},
            {"category": "computing", "year": 2027, "amount": amounts[1]},
        ],
    }
    created = _ok(client.post("/api/v1/proposals/", body, format="json"), 201)
    assert created["state"] == "draft"
    assert created["requested_total"] == f"{Decimal(amounts[0]) + Decimal(amounts[1]):.2f}"
    submitted = _ok(client.post(f"/api/v1/proposals/{created['id']}/submit/"))
    assert submitted["state"] == "submitted"
    return created["id"]


def _open_call(admin):
    # A call with three weighted criteria and a scoring guide.
    call = _ok(
        admin.post(
            "/api/v1/funding-calls/",
            {
                "slug": "sustain-2026",
                "title": "Sustainability 2026",
                "year": 2026,
                "envelope": "100000",
                "opens_at": "2026-01-01",
                "closes_at": "2026-03-31",
                "criteria": CRITERIA,
            },
            format="json",
        ),
        201,
    )
    assert [c["name"] for c in call["criteria"]] == ["Impact", "Sustainability", "Feasibility"]
    assert call["state"] == "draft"

    # The panel: casey declares a conflict with widget and with a university.
    for name, expertise, conflicts in (
        ("ada", "Linear algebra", {}),
        ("brook", "Build systems and packaging", {}),
        ("casey", "Performance portability", {"products": ["widget"], "institutions": ["U1"]}),
    ):
        body = {"call": "sustain-2026", "user": name, "expertise": expertise}
        if conflicts:
            body["conflicts"] = conflicts
        member = _ok(admin.post("/api/v1/panel-members/", body, format="json"), 201)
    assert member["conflicts"] == {"products": ["widget"], "institutions": ["U1"]}
    assert _ok(admin.post("/api/v1/funding-calls/sustain-2026/open/"))["state"] == "open"


def _review(client_for, reviewers, first, second, third_id):
    # The conflicted reviewer is refused, with the reason, and nothing is written.
    casey = client_for(reviewers["casey"])
    before = (Review.objects.count(), Event.objects.count())
    refused = casey.post(
        "/api/v1/reviews/",
        {"proposal": first, "scores": {"Impact": 5, "Sustainability": 5, "Feasibility": 5}},
        format="json",
    )
    assert refused.status_code == 403
    assert "conflict of interest with widget" in refused.json()["detail"]
    assert (Review.objects.count(), Event.objects.count()) == before

    scores = {
        ("ada", first): (5, 4, 3),  # (15 + 8 + 3) / 6 = 4.333…
        ("brook", first): (4, 4, 4),  # 4; mean 4.17
        ("ada", second): (3, 3, 3),
        ("brook", second): (2, 3, 4),  # (6 + 6 + 4) / 6 = 2.667; mean 2.83
        ("casey", second): (3, 2, 5),  # (9 + 4 + 5) / 6 = 3; mean (3 + 2.667 + 3) / 3 = 2.89
        ("ada", third_id): (5, 5, 5),
        ("brook", third_id): (4, 5, 5),  # (12 + 10 + 5) / 6 = 4.5; mean 4.75
        ("casey", third_id): (5, 5, 4),  # (15 + 10 + 4) / 6 = 4.833; mean (5+4.5+4.833)/3 = 4.78
    }
    for (name, pk), (impact, sustainability, feasibility) in scores.items():
        _ok(
            client_for(reviewers[name]).post(
                "/api/v1/reviews/",
                {
                    "proposal": pk,
                    "scores": {
                        "Impact": impact,
                        "Sustainability": sustainability,
                        "Feasibility": feasibility,
                    },
                    "comment": f"Comment {len(name) * pk}",
                },
                format="json",
            ),
            201,
        )
    # Scoring again replaces the review.
    replaced = client_for(reviewers["ada"]).post(
        "/api/v1/reviews/",
        {"proposal": second, "scores": {"Impact": 3, "Sustainability": 3, "Feasibility": 3}},
        format="json",
    )
    assert replaced.status_code == 200
    assert Review.objects.count() == 8


def _decide(admin, first, second, third_id):
    # Decisions within the envelope (100,000): 30,000 + 50,000, then 40,000 is too much.
    decide = "/api/v1/funding-decisions/"
    _ok(
        admin.post(
            decide,
            {"proposal": third_id, "outcome": "funded", "rationale": "Top ranked."},
            format="json",
        ),
        201,
    )
    _ok(
        admin.post(
            decide,
            {"proposal": first, "outcome": "funded", "rationale": "Strong impact."},
            format="json",
        ),
        201,
    )
    before = (FundingDecision.objects.count(), Event.objects.count())
    over = admin.post(
        decide,
        {"proposal": second, "outcome": "funded", "rationale": "Also good."},
        format="json",
    )
    assert over.status_code == 409
    assert "120000.00" in over.json()["detail"] and "100000.00" in over.json()["detail"]
    assert (FundingDecision.objects.count(), Event.objects.count()) == before
    assert Proposal.objects.get(pk=second).state == "under_review"
    partial = _ok(
        admin.post(
            decide,
            {
                "proposal": second,
                "outcome": "partially_funded",
                "amount": "20000",
                "rationale": "What the envelope leaves: the computing year only.",
            },
            format="json",
        ),
        201,
    )
    assert partial["amount"] == "20000.00"
    published = _ok(admin.post("/api/v1/funding-calls/sustain-2026/decide/"))
    assert published["state"] == "decided"


def _check_published(api_client, first):
    # Published: everyone reads the ranking, the reviews (anonymous) and the decisions.
    public_reviews = api_client.get("/api/v1/reviews/", {"call": "sustain-2026"}).json()
    assert public_reviews["count"] == 8
    assert {r["reviewer"] for r in public_reviews["results"]} == {None}
    assert api_client.get(f"/api/v1/proposals/{first}/").json()["decision"]["outcome"] == "funded"
    assert api_client.get("/api/v1/funding-calls/sustain-2026/ranking/").status_code == 200

    page = api_client.get("/funding/sustain-2026/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Impact",
        "Sustainability",
        "Feasibility",
        "5: relied on by several facilities",
        "Ada Expert",
        "Build systems and packaging",
        "4.78",
        "4.50",  # Widget's mean Impact
        "Partially funded",
        "What the envelope leaves: the computing year only.",
    ):
        assert text in html, text
    # No reviewer identity: the reviews are numbered, their comments published.
    results = html[html.index('id="results-h"') : html.index('id="proposals-h"')]
    assert "Reviewer 1" in results and "Comment " in results
    for name in ("ada", "brook", "casey", "Expert"):
        assert name not in results, name
    export = api_client.get("/funding/sustain-2026/", {"export": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [r["title"] for r in rows] == ["Solver", "Widget", "Alpha"]
    assert rows[2]["outcome"] == "partially_funded" and rows[2]["Impact"] == "2.67"


def test_a_whole_funding_round(
    client_for, api_client, community, product, maintainer, lead, hub_admin, other_product
):
    third = make_product("solver", maintainers=[maintainer])
    admin = client_for(hub_admin)
    reviewers = {
        name: make_user(name, first_name=name.capitalize(), last_name="Expert")
        for name in ("ada", "brook", "casey")
    }

    _open_call(admin)
    # Three proposals.
    team = client_for(maintainer)
    first = _proposal(
        team, community, title="Widget", products=["widget"], amounts=("30000", "20000")
    )
    second = _proposal(
        client_for(lead), community, title="Alpha", products=[], amounts=("30000", "10000")
    )
    third_id = _proposal(
        team, community, title="Solver", products=[third.slug], amounts=("25000", "5000")
    )
    started = _ok(admin.post("/api/v1/funding-calls/sustain-2026/start_review/"))
    assert started["state"] == "under_review"
    assert set(Proposal.objects.values_list("state", flat=True)) == {"under_review"}

    _review(client_for, reviewers, first, second, third_id)
    # The ranking by weighted score.
    ranking = _ok(admin.get("/api/v1/funding-calls/sustain-2026/ranking/"))
    assert [(r["rank"], r["proposal"], r["score"]) for r in ranking] == [
        (1, third_id, "4.78"),
        (2, first, "4.17"),
        (3, second, "2.89"),
    ]
    assert ranking[1]["scores"] == {
        "Impact": "4.50",
        "Sustainability": "4.00",
        "Feasibility": "3.50",
    }
    # Unpublished: the public sees no ranking, no reviews, no scores.
    assert api_client.get("/api/v1/funding-calls/sustain-2026/ranking/").status_code == 401
    assert client_for(lead).get("/api/v1/funding-calls/sustain-2026/ranking/").status_code == 403
    assert api_client.get("/api/v1/reviews/").json()["count"] == 0
    assert api_client.get(f"/api/v1/proposals/{first}/").json()["score"] is None

    _decide(admin, first, second, third_id)
    _check_published(api_client, first)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_decisions_that_together_overspend_let_exactly_one_through(
    community, maintainer, product
):
    admin = make_user("admin", is_staff=True)
    call = make_call("race", "under_review", envelope=Decimal("100000"))
    member = seat(call, make_user("reviewer"))
    proposals = []
    for title in ("One", "Two"):
        p = make_proposal(
            call,
            community,
            maintainer,
            title=title,
            state="under_review",
            budget=(("personnel", 2026, "60000"),),
        )
        Review.objects.create(
            proposal=p, panel_member=member, scores={"Impact": 4, "Feasibility": 4}
        )
        proposals.append(p)
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def decide(proposal):
        try:
            client = APIClient()
            client.force_authenticate(admin)
            barrier.wait()
            response = client.post(
                "/api/v1/funding-decisions/",
                {"proposal": proposal.pk, "outcome": "funded", "rationale": "Go."},
                format="json",
            )
            with lock:
                statuses.append(response.status_code)
        except BaseException as exc:  # surfaced below; a thread must not die silently
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(p,)) for p in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(statuses) == [201, 409]
    assert FundingDecision.objects.count() == 1
    assert call.decided_total() == Decimal("60000")
    assert sorted(Proposal.objects.values_list("state", flat=True)) == ["decided", "under_review"]
    assert Event.objects.filter(verb="funding_decided").count() == 1
