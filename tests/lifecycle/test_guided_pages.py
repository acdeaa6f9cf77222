"""The request page guides: each failing checklist item links to where it is fixed (for
those who may fix it), Approve says why it is not yet possible by the transition's own rule,
and the actions that end a request are styled apart and confirmed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lifecycle import transitions
from lifecycle.models import LifecycleRequest
from tests.conftest import make_body, make_product, make_user
from tests.lifecycle import test_pages
from tests.lifecycle.test_pages import make_request

browser = test_pages.browser  # fixtures shared with the request pages' tests
newbie = test_pages.newbie


def _item(html: str, key: str) -> str:
    """The checklist item ``key`` of a request page, as HTML."""
    match = re.search(
        rf'<li class="(?:pass|fail)" data-key="{key}">(.*?)</li>\s*(?=<li class|</ul>)', html, re.S
    )
    assert match, f"no checklist item {key}"
    return match.group(1)


def _fix_links(fragment: str) -> list[str]:
    return re.findall(r'<a class="fix" href="([^"]+)"', fragment)


def test_each_failing_item_links_the_maintainer_to_where_it_is_fixed(
    community, browser, maintainer
):
    community.requires_interoperability = True
    community.save()
    other = make_product("member")
    other.memberships.create(community=community, state="active")
    bare = make_product("bare", maintainers=[maintainer], license="", spack_package="")
    req = make_request(bare, community, state="submitted")
    client = browser(maintainer)
    html = client.get(req.get_absolute_url()).content.decode()

    edit = reverse("products:edit", args=["bare"])
    assert _fix_links(_item(html, "metadata")) == [edit]
    assert _fix_links(_item(html, "spack_package")) == [edit]
    assert _fix_links(_item(html, "policies")) == [
        reverse("products:assessments", args=["bare"]) + "?policy_set=base"
    ]
    assert _fix_links(_item(html, "interoperability")) == [
        reverse("products:dependencies", args=["bare"])
    ]
    # A passing item offers nothing.
    assert _fix_links(_item(html, "public_repository")) == []
    assert _fix_links(_item(html, "not_member")) == []
    # Every link leads to a page the maintainer may use.
    for url in {*_fix_links(html)}:
        assert client.get(url).status_code == 200, url


def test_someone_who_cannot_fix_an_item_is_told_who_does_without_a_link(
    community, browser, maintainer, stranger
):
    bare = make_product("bare", maintainers=[maintainer], license="")
    req = make_request(bare, community, state="submitted")
    for user in (None, stranger):
        html = browser(user).get(req.get_absolute_url()).content.decode()
        metadata = _item(html, "metadata")
        assert _fix_links(metadata) == []
        assert "The product&#x27;s maintainers fix this: edit the product&#x27;s details." in (
            metadata
        )
        assert reverse("products:edit", args=["bare"]) not in html


def test_a_lead_gets_the_interoperability_confirmation_and_the_plan_links(
    community, browser, lead, maintainer, product
):
    community.requires_interoperability = True
    community.save()
    make_product("member").memberships.create(community=community, state="active")
    newcomer = make_product("newcomer", maintainers=[maintainer])
    onramp = make_request(newcomer, community, state="in_review")
    html = browser(lead).get(onramp.get_absolute_url()).content.decode()
    assert reverse("products:interoperability-new", args=["newcomer"]) in _fix_links(
        _item(html, "interoperability")
    )

    offramp = make_request(product, community, kind="offramp", state="submitted")
    html = browser(lead).get(offramp.get_absolute_url()).content.decode()
    assert _fix_links(_item(html, "sustainability_plan")) == [
        reverse("lifecycle:request-edit", args=[offramp.pk])
    ]


def test_a_decided_request_offers_no_fixes(community, browser, maintainer):
    bare = make_product("bare", maintainers=[maintainer], license="")
    req = make_request(bare, community, state="withdrawn")
    html = browser(maintainer).get(req.get_absolute_url()).content.decode()
    assert "Failed:" in html and _fix_links(html) == []


# --- Approve: why not yet -----------------------------------------------------------------


def _approve_form(html: str) -> str:
    match = re.search(r'<form[^>]*class="action action-approve".*?</form>', html, re.S)
    assert match, "no approve form"
    return match.group(0)


def _blockers(form: str) -> list[str]:
    block = re.search(r'id="approve-blockers">(.*?)</div>', form, re.S)
    if block is None:
        return []
    return [
        re.sub(r"\s+", " ", li).strip()
        for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    ]


def _refusal(req, lead) -> str:
    """The transition's own refusal of an approval by ``lead``."""
    with pytest.raises(transitions.TransitionNotAllowed) as refused:
        transitions.request_approve(request=LifecycleRequest.objects.get(pk=req.pk), by=lead)
    return str(refused.value)


def _unescape(text: str) -> str:
    return text.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def test_approve_is_disabled_with_the_votes_and_items_missing(community, browser, lead, maintainer):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)
    bare = make_product("bare", maintainers=[maintainer])
    req = make_request(bare, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)

    form = _approve_form(browser(lead).get(req.get_absolute_url()).content.decode())
    assert re.search(r'<button type="submit" name="action" value="approve"[^>]* disabled', form)
    reasons = [_unescape(r) for r in _blockers(form)]
    # Each failing item and the votes: "0 of 3 seats voted".
    assert any("P1 (unknown)" in r and "P2 (unknown)" in r for r in reasons)
    assert any("0 of 3 seats voted" in r for r in reasons)
    # The lead, who manages the community, is pointed to its governance body.
    assert re.search(
        r'<a class="fix" href="/communities/alpha/governance/">The governance body', form
    )
    # The same rule as the transition's: its refusal names the first blocker, the checklist.
    refusal = _refusal(req, lead)
    assert refusal.startswith("Cannot approve: the checklist has failing items: ")
    assert refusal.removeprefix("Cannot approve: the checklist has failing items: ") in reasons


def test_with_the_checklist_passing_approve_waits_for_the_votes_only(
    newbie, community, browser, lead
):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    form = _approve_form(browser(lead).get(req.get_absolute_url()).content.decode())
    reasons = [_unescape(r) for r in _blockers(form)]
    assert len(reasons) == 1
    assert _refusal(req, lead) == f"Cannot approve yet. {reasons[0]}"
    assert "0 of 3 seats voted" in reasons[0]


def test_approve_is_enabled_when_nothing_is_missing(newbie, community, browser, lead):
    req = make_request(newbie, community, state="in_review")
    form = _approve_form(browser(lead).get(req.get_absolute_url()).content.decode())
    assert "disabled" not in form and _blockers(form) == []
    response = browser(lead).post(reverse("lifecycle:request-action", args=[req.pk, "approve"]))
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == "approved"


def test_an_offramp_left_only_to_acknowledge_can_still_be_approved_from_the_form(
    product, other_product, community, browser, lead
):
    other_product.dependencies.create(depends_on=product)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="E4S",
        migration_notes="Notes",
    )
    form = _approve_form(browser(lead).get(req.get_absolute_url()).content.decode())
    assert "disabled" not in form
    reasons = _blockers(form)
    assert len(reasons) == 1 and "acknowledge the dependents" in reasons[0]


# --- Reject and withdraw ------------------------------------------------------------------


def test_reject_and_withdraw_are_danger_buttons_apart_from_approve(
    newbie, community, browser, lead
):
    req = make_request(newbie, community, state="in_review")
    html = browser(lead).get(req.get_absolute_url()).content.decode()
    zone = html.split('<div class="danger-zone">', 1)[1]
    for action in ("reject", "withdraw"):
        assert re.search(rf'value="{action}" class="button danger"', zone)
        assert f'id="confirm-{action}" name="confirm" required' in zone
    assert 'value="approve"' not in zone
    assert 'class="button danger"' not in html.split('<div class="danger-zone">', 1)[0]


@pytest.mark.parametrize("action", ["reject", "withdraw"])
def test_ending_a_request_needs_the_confirmation(newbie, community, browser, lead, action):
    req = make_request(newbie, community, state="in_review")
    url = reverse("lifecycle:request-action", args=[req.pk, action])
    client = browser(lead)
    response = client.post(url, {"rationale": "Out of scope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be undone" in html and f'id="confirm-{action}-error"' in html
    assert "Out of scope" in html  # the reason typed is kept
    req.refresh_from_db()
    assert req.state == "in_review"

    response = client.post(url, {"rationale": "Out of scope", "confirm": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == ("rejected" if action == "reject" else "withdrawn")
    page = client.get(response["Location"]).content.decode()
    assert f"Request #{req.pk} is now {req.get_state_display().lower()}." in page


def test_editing_a_decided_request_redirects_back_with_the_refusal(
    product, community, browser, maintainer
):
    req = make_request(product, community, kind="offramp", state="approved")
    client = browser(maintainer)
    url = reverse("lifecycle:request-edit", args=[req.pk])
    response = client.post(url, {"migration_notes": "Too late"})
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert '<li class="error">Cannot update a request in state &#x27;approved&#x27;.</li>' in page
    req.refresh_from_db()
    assert req.migration_notes == ""


def test_the_request_list_picks_the_community_from_a_list(community, other_community, browser):
    html = browser().get(reverse("lifecycle:request-list") + "?community=beta").content.decode()
    select = re.search(r'<select name="community"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "alpha", "beta"]
    assert '<option value="beta" selected>' in select
