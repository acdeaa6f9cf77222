"""What every page carries from the site's design: the favicon, and dates people can read
the same way everywhere (ISO 8601; timestamps to the minute in UTC)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from events import log as events
from spokes.models import Policy
from tests.conftest import make_assessment, make_membership

pytestmark = pytest.mark.django_db


def _icon_links(html: str) -> dict[str, str]:
    """{type: href} of the page's <link rel="icon"> elements."""
    links = {}
    for tag in re.findall(r"<link [^>]*rel=\"icon\"[^>]*>", html):
        href = re.search(r'href="([^"]+)"', tag).group(1)
        kind = re.search(r'type="([^"]+)"', tag).group(1)
        links[kind] = href
    return links


def test_every_page_links_a_favicon_that_the_app_serves(client, product):
    for path in ["/", reverse("products:catalog"), product.get_absolute_url()]:
        links = _icon_links(client.get(path).content.decode())
        assert set(links) == {"image/svg+xml", "image/png"}, path
    svg = client.get(links["image/svg+xml"])
    assert svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content if svg.streaming else [svg.content])
    png = client.get(links["image/png"])
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    body = b"".join(png.streaming_content if png.streaming else [png.content])
    assert body.startswith(b"\x89PNG")


def test_favicon_ico_answers_at_the_root_where_browsers_look(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header: reserved 0, type 1 (icon)
    assert "max-age" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405


def test_dates_and_timestamps_read_as_iso_on_the_product_page(client, product, other_community):
    make_membership(
        product,
        other_community,
        state="offramped",
        joined_at=datetime.date(2023, 3, 5),
        left_at=datetime.date(2024, 11, 30),
    )
    event = events.record(events.Verb.PRODUCT_UPDATED, product=product)
    html = client.get(product.get_absolute_url()).content.decode()

    # Dates stored as dates, rendered without an explicit format, follow DATE_FORMAT.
    assert "2023-03-05" in html and "2024-11-30" in html
    assert "March 5, 2023" not in html and "Nov. 30, 2024" not in html
    # Timestamps: to the minute, in UTC, with the exact instant for machines.
    stamp = event.created_at.astimezone(datetime.UTC)
    shown = stamp.strftime("%Y-%m-%d %H:%M") + " UTC"
    assert re.search(
        rf'<time datetime="{re.escape(stamp.isoformat()[:19])}[^"]*">{re.escape(shown)}</time>',
        html,
    ), f"no <time> showing {shown}"
    updated = product.updated_at.astimezone(datetime.UTC).strftime("%Y-%m-%d")
    assert f">{updated}</time>" in html
    # No date anywhere in the month-name style of Django's English locale.
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d", html)


DOCUMENT = "Imported from the policy-compatibility document the team filed in 2024 (section 3)."


def test_a_justification_shared_by_most_rows_is_shown_once_even_beside_a_row_of_its_own(
    client, product, policy_set
):
    """The product page's compliance tables: the text most rows end with (the document
    they were imported from) is shown once above them, each row keeping what is its own;
    a justification written by hand for one policy does not bring the document's text back
    onto every other row."""
    policies = {p.code: p for p in Policy.objects.filter(policy_set=policy_set)}
    make_assessment(product, policies["P1"], "full", justification=f"As filed: 'Full'. {DOCUMENT}")
    make_assessment(
        product, policies["P2"], "partial", justification=f"As filed: 'Partial'. {DOCUMENT}"
    )
    make_assessment(
        product, policies["P3"], "na", justification="Written by the team: no GPU build exists."
    )
    html = client.get(product.get_absolute_url()).content.decode()

    assert html.count("policy-compatibility document the team filed") == 1
    note = html[html.index('class="justification-note"') :]
    assert DOCUMENT in note[: note.index("</p>")]
    rows = html[html.index('class="compliance-table"') :]
    for own in ("As filed: &#x27;Full&#x27;.", "As filed: &#x27;Partial&#x27;.", "no GPU build"):
        assert own in rows, own
