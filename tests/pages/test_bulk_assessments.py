"""The assessments page's bulk action: the selected policies set to one status with one
justification, through the API's bulk upsert service (all or nothing, same permission)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from events.models import Event
from products.models import Assessment
from tests.conftest import make_assessment

pytestmark = pytest.mark.django_db

URL = "/products/widget/assessments/bulk/?policy_set=base"


def _data(*codes: str, status: str = "na", justification: str = "No GPU code.", **extra) -> dict:
    return {
        "bulk-policies": list(codes),
        "bulk-status": status,
        "bulk-justification": justification,
        "bulk-evidence_url": "",
        **extra,
    }


def _history_rows() -> int:
    return Assessment.history.count()


def test_the_page_offers_a_checkbox_per_policy_tied_to_the_bulk_form(
    client_as, maintainer, product, policy_set
):
    html = client_as(maintainer).get("/products/widget/assessments/?policy_set=base")
    html = html.content.decode()
    assert 'id="bulk-form"' in html and f'action="{URL}"' in html.replace("&amp;", "&")
    for code in ("P1", "P2", "P3"):
        assert (
            f'<input type="checkbox" form="bulk-form" name="bulk-policies" value="{code}" '
            f'id="select-{code}">'
        ) in html
        assert f'<label class="visually-hidden" for="select-{code}">Select {code}</label>' in html


def test_a_maintainer_sets_several_policies_at_once(client_as, maintainer, product, policy_set):
    p1 = policy_set.effective_policies()[0]
    make_assessment(product, p1, "na", justification="No GPU code.", source="self")
    before = set(Assessment.history.values_list("history_id", flat=True))
    client = client_as(maintainer)
    response = client.post(URL, _data("P1", "P2", "P3"))
    assert response.status_code == 302
    assert response["Location"] == "/products/widget/assessments/?policy_set=base"
    rows = {a.policy.code: a for a in Assessment.objects.select_related("policy")}
    assert {c: (a.status, a.justification) for c, a in rows.items()} == {
        code: ("na", "No GPU code.") for code in ("P1", "P2", "P3")
    }
    assert rows["P2"].assessed_by == maintainer and rows["P2"].source == "self"
    # One event and one history row per changed assessment; P1 was already so.
    events = Event.objects.filter(verb="assessment_changed")
    assert sorted(e.data["policy"] for e in events) == ["P2", "P3"]
    added = Assessment.history.exclude(history_id__in=before).select_related("policy")
    assert sorted(h.policy.code for h in added) == ["P2", "P3"]
    page = client.get(response["Location"]).content.decode()
    assert (
        '<li class="success">3 policies of Policy set base 1.0 set to Not applicable: '
        "2 changed, 1 already so.</li>"
    ) in page
    # The page shows the new statuses.
    for code in ("P2", "P3"):
        row = re.search(rf'<tr id="row-{code}".*?</tr>', page, re.S).group(0)
        assert '<option value="na" selected>' in row


@pytest.mark.parametrize("persona", ["stranger", "other_maintainer", "other_lead"])
def test_others_are_refused_and_nothing_is_written(
    request, client_as, product, other_product, policy_set, persona
):
    response = client_as(request.getfixturevalue(persona)).post(URL, _data("P1", "P2"))
    assert response.status_code == 403
    assert not Assessment.objects.exists() and _history_rows() == 0
    assert not Event.objects.filter(verb="assessment_changed").exists()


def test_anonymous_users_are_sent_to_sign_in_and_nothing_is_written(client_as, product, policy_set):
    response = client_as().post(URL, _data("P1"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Assessment.objects.exists()


def test_a_lead_of_the_products_community_may(client_as, lead, product, policy_set):
    assert client_as(lead).post(URL, _data("P1", status="full")).status_code == 302
    assert Assessment.objects.get().source == "reviewer"


def test_get_is_not_allowed(client_as, maintainer, product, policy_set):
    assert client_as(maintainer).get(URL).status_code == 405


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_data(), "policies", "Select at least one policy in the table."),
        (_data("P1", "P9"), "policies", "P9 is not a policy of this set; reload the page."),
        (
            _data("P1", "P2", status="partial", justification=""),
            "justification",
            "A justification is required when the status is &#x27;partial&#x27;.",
        ),
        (_data("P1", status=""), "status", "This field is required."),
        (
            _data("P1", status="full", **{"bulk-evidence_url": "javascript:alert(1)"}),
            "evidence_url",
            "",
        ),
    ],
)
def test_invalid_input_reshows_the_form_marked_and_writes_nothing(
    client_as, maintainer, product, policy_set, data, field, message
):
    response = client_as(maintainer).post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The selected policies were not changed" in html
    if field == "policies":
        assert f'<ul class="errorlist" id="bulk-policies-error"><li>{message}</li></ul>' in html
    else:
        assert re.search(rf'<div class="field has-error">\s*<label for="id_bulk-{field}"', html)
        assert message in html
    # What was typed and ticked is kept.
    for code in data["bulk-policies"]:
        if code != "P9":
            assert f'value="{code}" id="select-{code}" checked' in html
    assert not Assessment.objects.exists() and _history_rows() == 0


def test_one_failing_item_writes_none(client_as, maintainer, product, policy_set, monkeypatch):
    """All or nothing: a write refused midway leaves the earlier items unwritten."""
    from products import services

    real = services.upsert_assessment
    calls = []

    def failing_second(**kwargs):
        calls.append(kwargs["policy"].code)
        if len(calls) == 2:
            raise services.ValidationError({"status": ["Refused for the test."]})
        return real(**kwargs)

    monkeypatch.setattr(services, "upsert_assessment", failing_second)
    response = client_as(maintainer).post(URL, _data("P1", "P2", status="full"))
    assert response.status_code == 400
    assert "Refused for the test." in response.content.decode()
    assert calls == ["P1", "P2"]
    assert not Assessment.objects.exists() and _history_rows() == 0
