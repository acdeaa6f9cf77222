"""The lead's management pages: the community and its charter, roles, governance body and
seats, new communities, and policy sets — who may open them, what they write, what they cost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event
from lifecycle import decisions
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat
from tests.conftest import grant, make_assessment, make_body, make_policy, make_user
from tests.pages.conftest import cheap_user

pytestmark = pytest.mark.django_db

OUTSIDERS = ["stranger", "maintainer", "other_maintainer", "other_lead"]
MAX_QUERIES = 8  # session, user, the object, the lead's roles, the rows shown; a few spare


@pytest.fixture
def world(product, other_product, community, lead, other_lead, hub_admin):
    """Everyone of tests/conftest.py, with the base set owned by the lead's community."""
    community.policy_set.owner = community
    community.policy_set.save()
    return community


def _user(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


def _url(name: str) -> str:
    if name == "community-new":
        return reverse(f"spokes:{name}")
    slug = "base" if name == "policyset-edit" else "alpha"
    return reverse(f"spokes:{name}", kwargs={"slug": slug})


MANAGE_PAGES = ["community-edit", "community-roles", "community-governance", "policyset-edit"]
ALL_PAGES = [*MANAGE_PAGES, "community-new"]


# --- Who may open each page ---------------------------------------------------------------


@pytest.mark.parametrize("page", ALL_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, page):
    for method in (client.get, client.post):
        response = method(_url(page))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("persona", "status"),
    [*((p, 403) for p in OUTSIDERS), ("lead", 200), ("hub_admin", 200)],
)
@pytest.mark.parametrize("page", MANAGE_PAGES)
def test_only_the_communitys_leads_and_hub_admins_open_the_management_pages(
    request, client_as, world, page, persona, status
):
    response = client_as(_user(request, persona)).get(_url(page))
    assert response.status_code == status
    if status == 403:
        assert b"You may not do that" in response.content


@pytest.mark.parametrize(
    ("persona", "status"), [*((p, 403) for p in [*OUTSIDERS, "lead"]), ("hub_admin", 200)]
)
def test_only_hub_admins_create_communities(request, client_as, world, persona, status):
    assert client_as(_user(request, persona)).get(_url("community-new")).status_code == status


def test_a_co_lead_manages_too(client_as, world):
    co_lead = make_user("co")
    grant(co_lead, world, CommunityRole.Role.CO_LEAD)
    for page in MANAGE_PAGES:
        assert client_as(co_lead).get(_url(page)).status_code == 200


def test_a_lead_of_a_community_that_does_not_own_the_set_cannot_edit_it(
    client_as, world, other_lead
):
    # other_community uses the set too, but does not own it.
    assert client_as(other_lead).get(_url("policyset-edit")).status_code == 403


@pytest.mark.parametrize(("persona", "status"), [("lead", 403), ("hub_admin", 200)])
def test_only_hub_admins_edit_a_set_the_hub_owns(request, client_as, world, persona, status):
    PolicySet.objects.create(slug="e4s", name="E4S", version="1")  # no owner: the hub's
    url = reverse("spokes:policyset-edit", kwargs={"slug": "e4s"})
    assert client_as(_user(request, persona)).get(url).status_code == status


REFUSED_POSTS = {
    "community-edit": {"name": "Hijacked", "status": "sunset", "charter": "Ours now"},
    "community-roles": {"grant-username": "stranger", "grant-role": "lead"},
    "community-governance": {
        "name": "Hijack council",
        "quorum": "0.1",
        "threshold": "0.1",
        "seats-TOTAL_FORMS": "1",
        "seats-INITIAL_FORMS": "0",
        "seats-0-username": "stranger",
        "seats-0-represents": "lead",
    },
    "policyset-edit": {
        "name": "Hijacked",
        "version": "9",
        "policies-TOTAL_FORMS": "1",
        "policies-INITIAL_FORMS": "0",
        "policies-0-code": "H1",
        "policies-0-title": "Hijacked",
        "policies-0-level": "mandatory",
    },
    "community-new": {"slug": "evil", "name": "Evil", "status": "active"},
}


def _state() -> tuple:
    return (
        list(Community.objects.order_by("pk").values_list("slug", "name", "status", "charter")),
        list(CommunityRole.objects.order_by("pk").values_list("user", "community", "role")),
        list(GovernanceBody.objects.values_list("name", "quorum")),
        list(Seat.objects.values_list("user", "body")),
        list(PolicySet.objects.values_list("name", "version")),
        list(Policy.objects.order_by("pk").values_list("code", "title", "version")),
        Event.objects.count(),
    )


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_refused_write_changes_nothing(request, client_as, world, persona, page):
    before = _state()
    response = client_as(_user(request, persona)).post(_url(page), REFUSED_POSTS[page])
    assert response.status_code == 403
    assert _state() == before


def test_a_lead_cannot_remove_a_role_in_another_community(client_as, world, lead, other_lead):
    role = CommunityRole.objects.get(user=other_lead)
    response = client_as(lead).post(
        reverse("spokes:community-roles", kwargs={"slug": "beta"}), {"revoke-role": role.pk}
    )
    assert response.status_code == 403
    # Nor through their own community's page, with the other community's role id.
    response = client_as(lead).post(_url("community-roles"), {"revoke-role": role.pk})
    assert response.status_code == 200
    assert CommunityRole.objects.filter(pk=role.pk).exists()


# --- Links on the public pages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "manage", "admin"),
    [
        ("anonymous", False, False),
        ("stranger", False, False),
        ("other_lead", False, False),
        ("lead", True, False),
        ("hub_admin", True, True),
    ],
)
def test_management_links_show_only_to_those_allowed(
    request, client_as, world, persona, manage, admin
):
    client = client_as(_user(request, persona))
    html = client.get("/communities/alpha/").content.decode()
    for page in ("community-edit", "community-roles", "community-governance"):
        assert (f'href="{_url(page)}"' in html) is manage
    assert ("/admin/spokes/community/" in html) is admin
    html = client.get("/policy-sets/base/").content.decode()
    assert (f'href="{_url("policyset-edit")}"' in html) is manage
    assert ("/admin/spokes/policyset/" in html) is admin


# --- The community and its charter ----------------------------------------------------------


def _community_data(community: Community, **changes) -> dict:
    data = {
        "name": community.name,
        "full_name": community.full_name,
        "summary": community.summary,
        "area": community.area,
        "website": community.website,
        "status": community.status,
        "status_note": community.status_note,
        "charter": community.charter,
        "policy_set": community.policy_set_id or "",
    }
    if community.requires_interoperability:
        data["requires_interoperability"] = "on"
    data.update(changes)
    return data


CHARTER = "# Our charter\n\nWe **decide** together.\n\n<script>alert('pwned')</script>\n"


def test_a_lead_edits_the_charter_and_the_community_page_shows_it_sanitised(client_as, world, lead):
    client = client_as(lead)
    response = client.post(
        _url("community-edit"),
        _community_data(
            world,
            charter=CHARTER,
            status="forming",
            status_note="Re-forming after the 2026 review.",
            website="example.org/alpha",
            requires_interoperability="on",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == _url("community-edit")
    world.refresh_from_db()
    assert world.charter == CHARTER.strip()
    assert (world.status, world.website) == ("forming", "https://example.org/alpha")
    assert world.requires_interoperability is True
    event = Event.objects.get(verb="community_updated")
    assert (event.actor, event.community) == (lead, world)
    assert {"charter", "status", "requires_interoperability"} <= set(event.data["fields"])

    # The edit page previews the saved charter, sanitised; so does the community page.
    for url in (_url("community-edit"), "/communities/alpha/"):
        html = client.get(url).content.decode()
        assert "<strong>decide</strong>" in html
        assert "<script>alert" not in html
        assert "Our charter" in html


def test_the_preview_button_renders_the_charter_without_saving(client_as, world, lead):
    response = client_as(lead).post(
        _url("community-edit"), {**_community_data(world, charter=CHARTER), "preview": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>decide</strong>" in html and "<script>alert" not in html
    world.refresh_from_db()
    assert world.charter == ""
    assert not Event.objects.exists()


def test_a_bad_community_form_is_shown_again_with_its_errors(client_as, world, lead):
    response = client_as(lead).post(
        _url("community-edit"), _community_data(world, name="", status="dormant")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the fields marked below" in html
    assert html.count('class="field has-error"') == 2
    assert "<h1>Edit Alpha SDK</h1>" in html  # the page still reads the stored row
    world.refresh_from_db()
    assert world.name == "Alpha SDK"
    assert not Event.objects.exists()


def test_a_lead_changes_the_communitys_policy_set(client_as, world, lead):
    other = PolicySet.objects.create(slug="other", name="Other", version="1")
    response = client_as(lead).post(
        _url("community-edit"), _community_data(world, policy_set=other.pk)
    )
    assert response.status_code == 302
    world.refresh_from_db()
    assert world.policy_set == other


def test_every_control_has_a_label(client_as, world, lead, hub_admin):
    import re

    make_body(world, seats=[lead])
    for user, page in [(lead, p) for p in MANAGE_PAGES] + [(hub_admin, "community-new")]:
        html = client_as(user).get(_url(page)).content.decode()
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html
        )
        assert ids, page
        for control in ids:
            assert f'for="{control}"' in html, f"{page}: {control} has no label"
        assert "csrfmiddlewaretoken" in html


# --- New communities -----------------------------------------------------------------------


def test_a_hub_admin_creates_a_community_with_its_first_lead(client_as, world, hub_admin, stranger):
    response = client_as(hub_admin).post(
        _url("community-new"),
        {
            "slug": "gamma",
            "name": "Gamma SDK",
            "status": "forming",
            "policy_set": world.policy_set_id,
            "lead": "stranger",
        },
    )
    assert response.status_code == 302
    gamma = Community.objects.get(slug="gamma")
    assert response["Location"] == "/communities/gamma/"
    assert gamma.policy_set == world.policy_set
    assert CommunityRole.objects.filter(community=gamma, user=stranger, role="lead").exists()
    verbs = set(Event.objects.filter(community=gamma).values_list("verb", flat=True))
    assert verbs == {"community_created", "role_granted"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "alpha", "name": "Dup"}, "slug"),
        ({"slug": "new", "name": "Reserved"}, "slug"),
        ({"slug": "delta", "name": "Delta", "lead": "ghost"}, "lead"),
        ({"slug": "not a slug", "name": "Bad"}, "slug"),
    ],
)
def test_a_bad_new_community_writes_nothing(client_as, world, hub_admin, data, field):
    before = _state()
    response = client_as(hub_admin).post(_url("community-new"), {"status": "active", **data})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert _state() == before


# --- Roles ---------------------------------------------------------------------------------


def test_a_lead_grants_a_role_by_username(client_as, world, lead, stranger):
    response = client_as(lead).post(
        _url("community-roles"), {"grant-username": "stranger", "grant-role": "reviewer"}
    )
    assert response.status_code == 302
    assert CommunityRole.objects.filter(user=stranger, community=world, role="reviewer").exists()
    event = Event.objects.get(verb="role_granted")
    assert (event.actor, event.data) == (lead, {"user": "stranger", "role": "reviewer"})
    html = client_as(lead).get(_url("community-roles")).content.decode()
    assert "stranger" in html and "Reviewer" in html


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [
        ("ghost", "lead", "No user with the username “ghost”"),
        ("stranger", "emperor", "Select a valid choice"),
        ("lead", "lead", "lead is already lead here"),
    ],
)
def test_a_bad_grant_is_shown_again_with_its_error(
    client_as, world, lead, stranger, username, role, message
):
    before = _state()
    response = client_as(lead).post(
        _url("community-roles"), {"grant-username": username, "grant-role": role}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "has-error" in response.content.decode()
    assert _state() == before


def test_a_lead_removes_a_role(client_as, world, lead, stranger):
    role = grant(stranger, world, CommunityRole.Role.CO_LEAD)
    response = client_as(lead).post(_url("community-roles"), {"revoke-role": role.pk})
    assert response.status_code == 302
    assert not CommunityRole.objects.filter(pk=role.pk).exists()
    event = Event.objects.get(verb="role_revoked")
    assert (event.actor, event.community, event.data) == (
        lead,
        world,
        {"user": "stranger", "role": "co_lead"},
    )


def test_a_lead_cannot_remove_the_last_lead(client_as, world, lead, stranger):
    grant(stranger, world, CommunityRole.Role.CO_LEAD)  # a co-lead is not a lead
    role = CommunityRole.objects.get(user=lead, community=world)
    before = _state()
    response = client_as(lead).post(_url("community-roles"), {"revoke-role": role.pk})
    assert response.status_code == 200
    assert "last lead" in response.content.decode()
    assert _state() == before


def test_with_a_second_lead_a_lead_may_step_down(client_as, world, lead, stranger):
    grant(stranger, world, CommunityRole.Role.LEAD)
    role = CommunityRole.objects.get(user=lead, community=world)
    response = client_as(lead).post(_url("community-roles"), {"revoke-role": role.pk})
    # No longer a lead: sent to the community page rather than to a page they cannot open.
    assert response.status_code == 302
    assert response["Location"] == "/communities/alpha/"
    assert list(world.roles.values_list("user__username", flat=True)) == ["stranger"]


def test_a_hub_admin_may_remove_the_last_lead(client_as, world, lead, hub_admin):
    role = CommunityRole.objects.get(user=lead, community=world)
    response = client_as(hub_admin).post(_url("community-roles"), {"revoke-role": role.pk})
    assert response.status_code == 302
    assert not world.roles.exists()


def test_removing_a_role_already_removed_is_a_form_error(client_as, world, lead):
    response = client_as(lead).post(_url("community-roles"), {"revoke-role": 999999})
    assert response.status_code == 200
    assert "already been removed" in response.content.decode()


# --- Governance body and seats ----------------------------------------------------------------


def _governance_data(body: dict, seats: list[dict], initial: int = 0) -> dict:
    data = {**body, "seats-TOTAL_FORMS": str(len(seats)), "seats-INITIAL_FORMS": str(initial)}
    for i, seat in enumerate(seats):
        seat = {"represents": "product_team", **seat}
        data.update({f"seats-{i}-{k}": v for k, v in seat.items()})
    return data


BODY = {"name": "Alpha council", "quorum": "60%", "threshold": "0.667", "requires_vote": "on"}


def test_a_lead_creates_the_governance_body_and_its_seats(client_as, world, lead, stranger):
    make_user("facility")
    response = client_as(lead).post(
        _url("community-governance"),
        _governance_data(
            BODY,
            [
                {"username": "lead", "represents": "lead"},
                {
                    "username": "facility",
                    "represents": "stakeholder",
                    "represents_name": "OLCF",
                    "term_start": "2026-01-01",
                    "term_end": "2027-12-31",
                },
                {"username": ""},  # a blank row is ignored
            ],
        ),
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    body = GovernanceBody.objects.get(community=world)
    assert (body.name, body.quorum, body.threshold, body.requires_vote) == (
        "Alpha council",
        Decimal("0.600"),
        Decimal("0.667"),
        True,
    )
    seats = {s.user.username: s for s in body.seats.select_related("user")}
    assert set(seats) == {"lead", "facility"}
    assert seats["facility"].represents_name == "OLCF"
    assert str(seats["facility"].term_end) == "2027-12-31"
    event = Event.objects.get(verb="community_updated")
    assert (event.actor, event.data["fields"]) == (lead, ["governance"])

    html = client_as(lead).get("/communities/alpha/").content.decode()
    assert "Alpha council" in html and "OLCF" in html
    html = client_as(lead).get(_url("community-governance")).content.decode()
    assert 'value="60%"' in html and 'value="66.7%"' in html


def test_editing_seats_keeps_the_kept_seats_and_their_votes(client_as, world, lead, stranger):
    holder = make_user("holder")
    body = make_body(world, seats=[holder, stranger])
    decision = decisions.open_decision(community=world, subject="Onramp of X")
    vote, _ = decisions.cast_vote(decision=decision, by=holder, choice="yes")
    response = client_as(lead).post(
        _url("community-governance"),
        _governance_data(
            {"name": body.name, "quorum": "0.5", "threshold": "0.5"},
            [
                {"username": "holder", "represents_name": "Widget team"},
                {"username": "stranger", "DELETE": "on"},
                {"username": "lead", "represents": "lead"},
            ],
            initial=2,
        ),
    )
    assert response.status_code == 302
    assert sorted(body.seats.values_list("user__username", flat=True)) == ["holder", "lead"]
    vote.refresh_from_db()  # still there, from the same seat
    assert vote.seat.represents_name == "Widget team"


def test_a_seat_whose_holder_voted_cannot_be_removed(client_as, world, lead):
    holder = make_user("holder")
    body = make_body(world, seats=[holder])
    decision = decisions.open_decision(community=world, subject="Onramp of X")
    decisions.cast_vote(decision=decision, by=holder, choice="yes")
    before = _state()
    response = client_as(lead).post(
        _url("community-governance"),
        _governance_data(
            {"name": "Renamed", "quorum": "0.5", "threshold": "0.5"},
            [{"username": "holder", "DELETE": "on"}],
            initial=1,
        ),
    )
    assert response.status_code == 200
    assert "end of their term" in response.content.decode()
    assert _state() == before
    body.refresh_from_db()
    assert body.name != "Renamed"


@pytest.mark.parametrize(
    ("body", "seats", "message"),
    [
        ({**BODY, "quorum": "1.5"}, [], "Enter a fraction between 0 and 1"),
        ({**BODY, "threshold": "120%"}, [], "Enter a fraction between 0 and 1"),
        ({**BODY, "quorum": "half"}, [], "Enter a fraction between 0 and 1"),
        ({**BODY, "name": ""}, [], "This field is required"),
        (
            BODY,
            [{"username": "lead", "term_start": "2026-06-01", "term_end": "2026-01-01"}],
            "The term ends before it starts",
        ),
        (BODY, [{"username": "ghost"}], "No user with the username “ghost”"),
        (BODY, [{"username": "lead"}, {"username": "lead"}], "already holds a seat"),
        (BODY, [{"username": "", "represents_name": "OLCF"}], "Enter the username"),
    ],
)
def test_bad_governance_is_shown_again_and_writes_nothing(
    client_as, world, lead, body, seats, message
):
    before = _state()
    response = client_as(lead).post(_url("community-governance"), _governance_data(body, seats))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Please correct the fields marked below" in html
    assert "has-error" in html
    assert _state() == before


# --- Policy sets -------------------------------------------------------------------------------


def _policy_data(policy_set: PolicySet, rows: list[dict], initial: int = 0, **fields) -> dict:
    data = {
        "name": policy_set.name,
        "version": policy_set.version,
        "adopted": policy_set.adopted,
        "description": policy_set.description,
        "policies-TOTAL_FORMS": str(len(rows)),
        "policies-INITIAL_FORMS": str(initial),
        **fields,
    }
    for i, row in enumerate(rows):
        row = {"level": "mandatory", **row}
        data.update({f"policies-{i}-{k}": v for k, v in row.items()})
    return data


def _rows(policy_set: PolicySet) -> list[dict]:
    return [
        {"code": p.code, "title": p.title, "summary": p.summary, "level": p.level}
        for p in policy_set.own_policies().order_by("position")
    ]


def test_a_lead_edits_the_policies_of_the_version_in_force(client_as, world, lead, product):
    policy_set = world.policy_set
    make_assessment(product, policy_set.policies.get(code="P1"))
    rows = _rows(policy_set)
    rows[0]["title"] = "Builds and tests with Spack"
    rows[2]["DELETE"] = "on"  # P3, never assessed
    rows.append({"code": "P4", "title": "Documented", "level": "recommended"})
    response = client_as(lead).post(
        _url("policyset-edit"),
        _policy_data(policy_set, rows, initial=3, description="The base policies."),
    )
    assert response.status_code == 302
    assert response["Location"] == "/policy-sets/base/"
    policy_set.refresh_from_db()
    assert policy_set.description == "The base policies."
    assert list(policy_set.own_policies().order_by("position").values_list("code", "title")) == [
        ("P1", "Builds and tests with Spack"),
        ("P2", "Has tests"),
        ("P4", "Documented"),
    ]
    event = Event.objects.get(verb="policy_set_updated")
    assert (event.actor, event.community) == (lead, world)
    assert set(event.data["fields"]) == {"description", "policies"}


def test_a_policy_with_assessments_cannot_be_dropped(client_as, world, lead, product):
    policy_set = world.policy_set
    make_assessment(product, policy_set.policies.get(code="P2"))
    rows = _rows(policy_set)
    rows[1]["DELETE"] = "on"
    before = _state()
    response = client_as(lead).post(_url("policyset-edit"), _policy_data(policy_set, rows, 3))
    assert response.status_code == 200
    assert "P2 has assessments" in response.content.decode()
    assert _state() == before


def test_adopting_a_new_version_keeps_old_assessments_on_old_policies(
    client_as, world, lead, product
):
    policy_set = world.policy_set
    old_p1 = policy_set.policies.get(code="P1")
    assessment = make_assessment(product, old_p1, "full")
    rows = [
        {"code": "P1", "title": "Public repository"},  # the code now means something else
        {"code": "P2", "title": "Has tests", "level": "recommended"},
    ]
    response = client_as(lead).post(
        _url("policyset-edit"), _policy_data(policy_set, rows, initial=3, version="2.0")
    )
    assert response.status_code == 302
    policy_set.refresh_from_db()
    assert policy_set.version == "2.0"
    new = list(policy_set.own_policies().values_list("code", "title", "version"))
    assert sorted(new) == [("P1", "Public repository", "2.0"), ("P2", "Has tests", "2.0")]
    # Version 1.0 is untouched: its three policies, and the assessment still on its P1.
    assert policy_set.policies.filter(version="1.0").count() == 3
    old_p1.refresh_from_db()
    assert old_p1.title == "Builds with Spack"
    assessment.refresh_from_db()
    assert assessment.policy_id == old_p1.pk
    event = Event.objects.get(verb="policy_set_updated")
    assert event.data["version"] == "2.0"
    html = client_as(lead).get("/policy-sets/base/").content.decode()
    assert "Public repository" in html and "Builds with Spack" not in html


def test_going_back_to_an_earlier_version_is_refused(client_as, world, lead):
    policy_set = world.policy_set
    make_policy(policy_set, "OLD", version="0.9")
    before = _state()
    response = client_as(lead).post(
        _url("policyset-edit"), _policy_data(policy_set, _rows(policy_set), 3, version="0.9")
    )
    assert response.status_code == 200
    assert "already has policies" in response.content.decode()
    assert _state() == before


def test_a_policy_adapts_one_of_the_base_set(client_as, world, hub_admin):
    xsdk = PolicySet.objects.create(
        slug="xsdk", name="xSDK", version="1.0.0", base=world.policy_set
    )
    url = reverse("spokes:policyset-edit", kwargs={"slug": "xsdk"})
    html = client_as(hub_admin).get(url).content.decode()
    assert '<option value="P2">P2 — Has tests</option>' in html
    response = client_as(hub_admin).post(
        url, _policy_data(xsdk, [{"code": "M1", "title": "Stricter tests", "adapts": "P2"}])
    )
    assert response.status_code == 302
    codes = [(p.code, p.inherited) for p in xsdk.effective_policies()]
    assert codes == [("M1", False), ("P1", True), ("P3", True)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"code": "P1", "title": ""}], "A policy needs a title"),
        ([{"code": "", "title": "No code"}], "A policy needs a code"),
        ([{"code": "Z", "title": "a"}, {"code": "Z", "title": "b"}], "Each code appears once"),
        ([{"code": "Z", "title": "a", "adapts": "P9"}], "Select a valid choice"),
        ([{"code": "Z", "title": "a", "source_url": "not a url"}], "Enter a valid URL"),
    ],
)
def test_bad_policy_rows_are_shown_again_and_write_nothing(client_as, world, lead, rows, message):
    before = _state()
    response = client_as(lead).post(
        _url("policyset-edit"), _policy_data(world.policy_set, rows, version="2.0")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'class="has-error"' in html
    assert _state() == before


# --- Query cost ----------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(community: Community, n: int) -> None:
    body = GovernanceBody.objects.filter(community=community).first() or make_body(community)
    for i in range(n):
        user = cheap_user()
        Seat.objects.create(body=body, user=user, represents="stakeholder", represents_name="X")
        grant(user, community, CommunityRole.Role.REVIEWER)
        make_policy(community.policy_set, f"Q{Policy.objects.count()}_{i}")


@pytest.mark.parametrize("page", ALL_PAGES)
def test_management_pages_cost_the_same_for_3_and_15_rows(client_as, world, lead, hub_admin, page):
    client = client_as(hub_admin if page == "community-new" else lead)
    _grow(world, 3)
    small = _count(client, _url(page))
    _grow(world, 12)
    large = _count(client, _url(page))
    assert small == large, f"{page}: {small} queries for 3 rows, {large} for 15"
    assert large <= MAX_QUERIES
