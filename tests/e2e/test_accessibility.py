"""Accessibility of every kind of page, checked in the browser by axe-core.

axe-core is the copy bundled (and pinned) with axe-playwright-python: it is injected into
each page from the package, so nothing is fetched at test time. Every page kind is visited
in the light colour scheme at desktop width (1366 px) and in the dark one
(`prefers-color-scheme`) at phone width (375 px), each view a test of its own; a serious
or critical violation fails it, with each violation's rule, help address and the elements
it found. A screenshot of every page kind in both views goes to ARTIFACTS_DIR/e2e.

The API docs page's Swagger UI (`#swagger-ui`, its own third-party markup) is left out of
the check; the site's navigation around it is checked.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import Page

from funding.models import FundingDecision, Review
from hub.models import Release, ReleaseItem
from lifecycle import decisions, transitions
from lifecycle.models import LifecycleRequest
from planning import services as planning_services
from planning.models import AnnualPlan
from products.models import Interoperability, ProductUse, Stakeholder, Waiver
from spokes.models import Community, Policy, Seat
from tests.conftest import (
    grant,
    make_assessment,
    make_body,
    make_community,
    make_dependency,
    make_membership,
    make_product,
    make_user,
)
from tests.funding.conftest import make_call, make_proposal, seat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Each page kind is seen twice: light at desktop width and dark at phone width. A colour
# scheme changes colours only (the contrast rules read the same at any width) and the width
# changes layout only (scrolling regions, target sizes), so the two views between them
# meet every rule in both schemes and at both widths, at half the cost of all four. Each
# view is a test of its own, so that the two can run side by side.
VIEWS = (("light", 1366), ("dark", 375))
BLOCKING = {"serious", "critical"}
# Swagger UI renders the API docs from the schema with markup of its own.
SWAGGER_UI = "#swagger-ui"


@dataclass(frozen=True)
class PageKind:
    name: str
    path: str
    signed_in: bool = False
    exclude: tuple[str, ...] = ()
    # What a person does on the page before it is checked (e.g. send a form with mistakes).
    then: Callable[[Page], None] | None = None


def send_empty(page: Page) -> None:
    """Send the page's form as it is (required fields left blank): it comes back with the
    mistakes marked."""
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".errorlist").count(), page.url


def sign_in_wrongly(page: Page) -> None:
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist, ul.messages .error").count(), page.url


def _planning_world(community, product, admin) -> None:
    """A plan with a milestone at risk, an approved and an open change, and a meeting."""
    plan = AnnualPlan.objects.create(community=community, year=2025, summary="Ship 1.0.")
    milestone = planning_services.add_milestone(
        by=admin, plan=plan, title="Release 1.0", due=datetime.date(2025, 3, 31), products=[product]
    )
    planning_services.record_progress(
        by=admin,
        milestone=milestone,
        date=datetime.date(2025, 2, 1),
        status="at_risk",
        note="Late.",
    )
    for kind in ("add", "rescope"):
        planning_services.request_change(
            by=admin,
            plan=plan,
            kind=kind,
            milestone=milestone if kind == "rescope" else None,
            title="Documentation",
            due=datetime.date(2025, 9, 1),
            reason="Asked for at the all-teams meeting.",
        )
    planning_services.approve_change(change=plan.changes.first(), by=admin)
    planning_services.create_meeting(
        by=admin,
        slug="all-teams-2025",
        title="All-teams meeting 2025",
        kind="all_teams",
        starts=datetime.date(2025, 6, 10),
        ends=datetime.date(2025, 6, 11),
        place="Argonne National Laboratory",
        communities=[community],
        agenda=[{"title": "Welcome"}, {"title": "Spoke plans"}],
        outcomes=[{"summary": "Release 1.0 confirmed", "milestone": milestone}],
    )


@pytest.fixture
def world(community, other_community, policy_set, product, other_product, maintainer, lead):
    """A small registry with something on every page: a hub and two spokes, members with
    assessments (the heatmap), a dependency, a waiver, an interoperability confirmation, a
    stakeholder's use, a governance body with seats, an E4S release and a spoke's bundle, and
    requests in every state."""
    admin = make_user("admin", is_staff=True, is_superuser=True, first_name="Ada")
    hub = make_community(
        "peso", name="PESO", kind=Community.Kind.HUB, policy_set=policy_set, area=""
    )
    grant(admin, hub)
    p1, p2, p3 = (Policy.objects.get(code=c) for c in ("P1", "P2", "P3"))
    make_assessment(product, p1, "full", evidence_url="https://ci.example.org/widget")
    make_assessment(product, p2, "partial")
    make_assessment(product, p3, "na")
    make_assessment(other_product, p1, "none")
    for n, statuses in enumerate([("full", "full"), ("partial", "full"), ("none", None)]):
        member = make_product(f"member{n}", maintainers=[maintainer])
        make_membership(member, community)
        for policy, status in zip((p1, p2), statuses, strict=True):
            if status:
                make_assessment(member, policy, status)
    make_dependency(product, other_product)
    Waiver.objects.create(
        product=other_product,
        policy=p1,
        reason="Moving to a new CI service",
        expires_on=datetime.date.today() + datetime.timedelta(days=60),
        granted_by=admin,
    )
    Interoperability.objects.create(
        product=product,
        partner=other_product,
        evidence_url="https://ci.example.org/widget-gadget",
        confirmed_by=admin,
    )
    lab = Stakeholder.objects.create(slug="lab", name="National Lab", kind="facility")
    ProductUse.objects.create(
        product=product, stakeholder=lab, note="Production runs", criticality="critical"
    )
    lab.contacts.add(lead)
    make_body(community, seats=[lead, admin], requires_vote=True)
    e4s = Release.objects.create(
        slug="e4s-25.11",
        name="E4S 25.11",
        kind="e4s",
        version="25.11",
        tag="v25.11",
        date=datetime.date(2025, 11, 20),
        environment=True,
        source="https://example.org/e4s/spack.yaml",
    )
    bundle = Release.objects.create(
        slug="alpha-1.0",
        name="alpha@1.0",
        kind="bundle",
        community=community,
        version="1.0",
        source="https://example.org/alpha/package.py",
    )
    for release, members in ((e4s, (product, other_product)), (bundle, (product,))):
        for member in members:
            ReleaseItem.objects.create(release=release, package=member.slug, product=member)
    ReleaseItem.objects.create(release=bundle, package="py-notyet")
    _planning_world(community, product, admin)

    def ready(slug):
        candidate = make_product(slug, maintainers=[maintainer])
        for policy in (p1, p2):
            make_assessment(candidate, policy, "full")
        return candidate

    def fresh(user):  # the access rules cache a user's roles on the instance
        return type(user).objects.get(pk=user.pk)

    def request(slug, into, *steps):
        req = transitions.request_create(
            by=fresh(maintainer),
            kind="onramp",
            product=ready(slug),
            community=into,
            rationale=f"{slug} is used by other members.",
        )
        for step, by in steps:
            getattr(transitions, f"request_{step}")(
                request=req, by=fresh(by), rationale="Reviewed."
            )
        return req

    requests = {
        "draft": request("drafted", community),
        "submitted": request("submitted", community, ("submit", maintainer)),
        "in-review": request("reviewed", community, ("submit", maintainer), ("start_review", lead)),
        "approved": request(
            "approved",
            other_community,
            ("submit", maintainer),
            ("start_review", admin),
            ("approve", admin),
        ),
        "rejected": request(
            "rejected",
            other_community,
            ("submit", maintainer),
            ("start_review", admin),
            ("reject", admin),
        ),
        "withdrawn": request("withdrawn", community, ("withdraw", maintainer)),
    }
    offramp = transitions.request_create(
        by=fresh(maintainer),
        kind="offramp",
        product=product,
        community=community,
        reason=LifecycleRequest.Reason.SUPERSEDED,
        successor=other_product,
        rationale="Gadget does what widget did.",
    )
    in_review = requests["in-review"]
    in_review.refresh_from_db()
    decisions.cast_vote(decision=in_review.decision, by=lead, choice="yes", comment="Ready.")
    for state, req in requests.items():
        req.refresh_from_db()
        assert req.state == state.replace("-", "_"), (state, req.state)
    seat = Seat.objects.filter(user=admin).first()
    assert seat is not None
    return {
        **funding_pages(community, maintainer, admin),
        "admin": admin,
        "requests": requests,
        "offramp": offramp,
        "decision": in_review.decision,
        "waiver": Waiver.objects.get(product=other_product),
    }


def funding_pages(community, maintainer, admin) -> dict:
    """A published call with its reviews and decision, and a call under review whose panel
    the admin sits on (the review form; their assignments on "My work")."""
    published = make_call("published", "decided")
    reviewer = seat(published, make_user("reviewer", first_name="Rae"), expertise="Solvers")
    decided = make_proposal(published, community, maintainer, state="decided")
    Review.objects.create(
        proposal=decided, panel_member=reviewer, scores={"Impact": 4, "Feasibility": 3}
    )
    FundingDecision.objects.create(
        proposal=decided,
        outcome="funded",
        amount=decided.requested_total,
        rationale="Ranked first.",
    )
    ongoing = make_call("ongoing", "under_review")
    seat(ongoing, admin, expertise="Packaging")
    return {
        "decided_proposal": decided,
        "to_review": make_proposal(
            ongoing, community, maintainer, state="under_review", title="Faster solvers"
        ),
    }


def page_kinds(world) -> list[PageKind]:
    req = world["requests"]
    public = [
        PageKind("home", "/"),
        PageKind("catalog", "/products/?community=alpha&mandatory_met=false&license=BSD-3-Clause"),
        PageKind("product", "/products/widget/"),
        PageKind("community", "/communities/alpha/"),
        PageKind("hub", "/communities/peso/"),
        PageKind("hub-services", "/hub/"),
        PageKind("policy-set", "/policy-sets/base/"),
        PageKind("events", "/events/"),
        PageKind("releases", "/releases/"),
        PageKind("release", "/releases/alpha-1.0/"),
        PageKind("delivery-health", "/communities/alpha/delivery/"),
        PageKind("stakeholders", "/stakeholders/"),
        PageKind("stakeholder", "/stakeholders/lab/"),
        PageKind("funding-calls", "/funding/"),
        PageKind("funding-call", "/funding/published/"),
        PageKind("proposal", f"/funding/proposals/{world['decided_proposal'].pk}/"),
        PageKind("plans", "/plans/?year=2025&as_of=2025-06-01"),
        PageKind("plan", "/plans/alpha/2025/"),
        PageKind("meetings", "/meetings/"),
        PageKind("meeting", "/meetings/all-teams-2025/"),
        PageKind("login", "/accounts/login/"),
        PageKind("login-refused", "/accounts/login/", then=sign_in_wrongly),
        PageKind("api-docs", "/api/docs/", exclude=(SWAGGER_UI,)),
    ]
    signed_in = [
        PageKind("account", "/account/"),
        PageKind("requests", "/requests/"),
        PageKind("review-queue", "/review/"),
        *(PageKind(f"request-{state}", f"/requests/{r.pk}/") for state, r in req.items()),
        PageKind("request-offramp", f"/requests/{world['offramp'].pk}/"),
        PageKind("decision", f"/decisions/{world['decision'].pk}/"),
        PageKind("request-new", "/requests/new/?kind=onramp&product=gadget&community=alpha"),
        PageKind("request-new-choose", "/requests/new/"),
        PageKind("request-new-mistakes", "/requests/new/?kind=offramp", then=send_empty),
        PageKind("request-edit", f"/requests/{req['draft'].pk}/edit/"),
        PageKind("request-edit-offramp", f"/requests/{world['offramp'].pk}/edit/"),
        PageKind("product-new", "/products/new/"),
        PageKind("product-new-mistakes", "/products/new/", then=send_empty),
        PageKind("product-edit", "/products/widget/edit/"),
        PageKind("assessments", "/products/widget/assessments/"),
        PageKind("dependencies", "/products/widget/dependencies/"),
        PageKind("import-compat", "/products/widget/import/xsdk/"),
        PageKind("waiver-new", "/products/widget/waivers/new/"),
        PageKind("interoperability-new", "/products/widget/interoperability/new/"),
        PageKind("community-new", "/communities/new/"),
        PageKind("community-edit", "/communities/alpha/edit/"),
        PageKind("community-roles", "/communities/alpha/roles/"),
        PageKind("community-governance", "/communities/alpha/governance/"),
        PageKind("policy-set-edit", "/policy-sets/base/edit/"),
        PageKind("stakeholder-manage", "/stakeholders/lab/"),
        PageKind("stakeholder-new", "/stakeholders/new/"),
        PageKind("stakeholder-new-mistakes", "/stakeholders/new/", then=send_empty),
        PageKind("stakeholder-edit", "/stakeholders/lab/edit/"),
        PageKind("stakeholder-use", "/stakeholders/lab/uses/?product=widget"),
        PageKind("product-use", "/products/widget/uses/"),
        PageKind("proposal-review", f"/funding/proposals/{world['to_review'].pk}/"),
        PageKind(
            "proposal-review-mistakes",
            f"/funding/proposals/{world['to_review'].pk}/",
            then=send_empty,
        ),
        PageKind("release-new", "/releases/new/"),
        PageKind("release-new-mistakes", "/releases/new/", then=send_empty),
        PageKind("release-edit", "/releases/alpha-1.0/edit/"),
        PageKind("plan-lead", "/plans/alpha/2025/"),
        PageKind("plan-new-mistakes", "/plans/new/", then=send_empty),
        PageKind("milestone-new", "/plans/alpha/2025/milestones/new/"),
        PageKind("change-new", "/plans/alpha/2025/changes/new/"),
        PageKind("plan-assess", "/plans/alpha/2025/assessment/"),
        PageKind("meeting-new", "/meetings/new/"),
    ]
    if _has_route("/me/"):  # "My work"
        signed_in.insert(0, PageKind("me", "/me/"))
    return public + [
        PageKind(p.name, p.path, signed_in=True, exclude=p.exclude, then=p.then) for p in signed_in
    ]


def _has_route(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def _check(page, kind: PageKind) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE_SCRIPT)
    context = {"exclude": [[selector] for selector in kind.exclude]}
    results = page.evaluate(
        "([context, options]) => axe.run(context, options)",
        [context, {"resultTypes": ["violations"]}],
    )
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def _describe(where: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"    {target}: {node['html'][:160]}  -- {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def _open(browser, *, scheme: str, width: int, cookie: dict | None, outside, blocked) -> Page:
    """A page in a context of its own (a colour scheme, a width, signed in or not) that
    notes every request leaving the site and everything the Content-Security-Policy
    blocks, as every browser test does."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.set_default_timeout(15_000)
    if cookie is not None:
        context.add_cookies([cookie])
    context.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    context.on(
        "console",
        lambda m: (
            blocked.append(m.text)
            if "Content Security Policy" in m.text or m.text.startswith("CSP violation")
            else None
        ),
    )
    return context.new_page()


@pytest.mark.parametrize(("scheme", "width"), VIEWS, ids=[f"{s}-{w}" for s, w in VIEWS])
def test_every_page_kind_has_no_serious_accessibility_violation(
    live_server, browser, world, shot, scheme, width
):
    kinds = page_kinds(world)
    cookie = _session_cookie(world["admin"], live_server.url)
    found: list[str] = []
    outside: list[str] = []
    blocked: list[str] = []
    pages = {
        signed_in: _open(
            browser,
            scheme=scheme,
            width=width,
            cookie=cookie if signed_in else None,
            outside=outside,
            blocked=blocked,
        )
        for signed_in in (False, True)
    }
    for kind in kinds:
        page = pages[kind.signed_in]
        response = page.goto(live_server.url + kind.path)
        assert response is not None and response.status == 200, (kind, response.status)
        assert kind.signed_in is False or "/accounts/login/" not in page.url, kind
        if kind.then is not None:
            kind.then(page)
        violations = _check(page, kind)
        if violations:
            found.append(_describe(f"{kind.name} ({scheme}, {width}px)", violations))
        shot(page, f"{kind.name}-{width}-{scheme}")
    for page in pages.values():
        page.context.close()
    assert outside == [], f"requests left the site: {outside}"
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"
    report = "\n".join(found)
    if found:
        print(report)
    assert not found, "serious or critical accessibility violations:\n" + report
