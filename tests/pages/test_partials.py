"""The shared partials: one pagination bar (includes/_pagination.html) that keeps the filters
of every paged page, and one form field (includes/_field.html) that labels, marks, describes
and reports on its input."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from events import log as events
from lifecycle.models import LifecycleRequest
from tests.conftest import make_product


def _pagination(html: str) -> str:
    start = html.index('<nav class="pagination"')
    return html[start : html.index("</nav>", start)]


def _submitted_requests(n: int, community, by) -> None:
    for i in range(n):
        req = LifecycleRequest.objects.create(
            kind="onramp", product=make_product(f"req{i}"), community=community, requested_by=by
        )
        LifecycleRequest.objects.filter(pk=req.pk).update(
            state="submitted", submitted_at=datetime.datetime.now(datetime.UTC)
        )


# --- Pagination -----------------------------------------------------------------------------


def test_catalog_pages_keep_the_sort_order(client, db):
    for i in range(30):  # 25 a page
        make_product(f"p{i:02d}")
    first = _pagination(
        client.get(reverse("products:catalog"), {"ordering": "name"}).content.decode()
    )
    assert 'href="?ordering=name&amp;page=2" rel="next"' in first
    assert "Page 1 of 2" in first and "Next" in first and 'rel="prev"' not in first
    second = client.get(reverse("products:catalog"), {"ordering": "name", "page": 2})
    second = _pagination(second.content.decode())
    assert 'href="?ordering=name&amp;page=1" rel="prev"' in second and "Previous" in second


def test_event_pages_keep_the_filters_and_read_newer_and_older(client, product):
    for _ in range(51):  # 50 a page
        events.record(events.Verb.PRODUCT_UPDATED, product=product)
    first = _pagination(
        client.get(reverse("events:list"), {"product": product.slug}).content.decode()
    )
    assert f'href="?product={product.slug}&amp;page=2" rel="next"' in first and "Older" in first
    second = client.get(reverse("events:list"), {"product": product.slug, "page": 2})
    assert "Newer" in _pagination(second.content.decode())


def test_request_list_pages_keep_the_filters(client, monkeypatch, community, maintainer):
    monkeypatch.setattr("lifecycle.views.PAGE_SIZE", 1)
    _submitted_requests(2, community, maintainer)
    html = client.get(reverse("lifecycle:request-list"), {"kind": "onramp"}).content.decode()
    bar = _pagination(html)
    assert 'href="?kind=onramp&amp;page=2" rel="next"' in bar and "Page 1 of 2" in bar


def test_the_review_queue_is_paged(client, monkeypatch, community, lead, maintainer):
    monkeypatch.setattr("lifecycle.views.PAGE_SIZE", 1)
    _submitted_requests(2, community, maintainer)
    client.force_login(lead)
    bar = _pagination(client.get(reverse("lifecycle:review-queue")).content.decode())
    assert 'href="?page=2" rel="next"' in bar and "Page 1 of 2" in bar


@pytest.mark.parametrize("url", ["products:catalog", "events:list", "lifecycle:request-list"])
def test_a_single_page_has_no_pagination_bar(client, db, url):
    assert 'class="pagination"' not in client.get(reverse(url)).content.decode()


# --- Form fields ----------------------------------------------------------------------------


@pytest.fixture
def invalid_request_form(client, maintainer, community) -> str:
    client.force_login(maintainer)
    # An offramp's form: the one with a checkbox (acknowledge_dependents) among its fields.
    data = {"kind": "offramp", "product": "nope", "community": community.slug}
    response = client.post(reverse("lifecycle:request-new") + "?kind=offramp", data)
    assert response.status_code == 400
    return response.content.decode()


def _field(html: str, name: str) -> str:
    """The <div class="field"> holding the input named `name`."""
    at = html.index(f'name="{name}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at)]


def test_a_required_field_is_marked_in_its_label(invalid_request_form):
    community = _field(invalid_request_form, "community")
    assert '<label for="id_community">Community <span aria-hidden="true">*</span>' in community
    assert '<span class="visually-hidden">(required)</span>' in community
    assert "(required)" not in _field(invalid_request_form, "rationale")


def test_an_error_is_shown_beside_its_field_and_described_by_it(invalid_request_form):
    product = _field(invalid_request_form, "product")
    assert product.startswith('<div class="field has-error">')
    assert "Choose one of the products you maintain." in product
    assert 'aria-invalid="true"' in product


def test_help_text_and_errors_carry_the_ids_the_input_points_to(invalid_request_form):
    described = re.findall(r'aria-describedby="([^"]+)"', invalid_request_form)
    ids = set(re.findall(r'\bid="([^"]+)"', invalid_request_form))
    assert described
    for value in described:
        assert set(value.split()) <= ids, value


def test_a_checkbox_comes_before_its_label(invalid_request_form):
    field = _field(invalid_request_form, "acknowledge_dependents")
    assert field.index('type="checkbox"') < field.index('<label for="id_acknowledge_dependents">')
