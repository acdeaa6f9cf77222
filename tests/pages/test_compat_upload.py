"""Importing an xSDK compatibility file from the product page: the imports API's importer,
permission rule and size limit; who may import is asked before the upload is read."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from events.models import Event
from products.importers import xsdk_compat
from products.models import Assessment
from tests.api import test_imports
from tests.api.test_imports import DATA, upload

pytestmark = pytest.mark.django_db

URL = "/products/widget/import/xsdk/"
MATHKIT = DATA / "xsdk/mathkit-policy-compatibility.md"
xsdk = test_imports.xsdk  # the imports API tests' xSDK 1.0.0 set (a fixture)


def _snapshot() -> tuple[int, int, int]:
    return (Assessment.objects.count(), Assessment.history.count(), Event.objects.count())


@pytest.fixture
def parsed(monkeypatch):
    """The files the importer was asked to read."""
    calls: list[str] = []
    real = xsdk_compat.parse_rows

    def spy(text, filename):
        calls.append(filename)
        return real(text, filename)

    monkeypatch.setattr(xsdk_compat, "parse_rows", spy)
    return calls


@pytest.mark.parametrize("persona", ["stranger", "maintainer", "other_lead"])
def test_those_the_imports_api_refuses_are_refused_and_the_file_is_not_read(
    request, client_as, product, xsdk, parsed, persona
):
    """The maintainer too: the imports API's rule lets only leads and hub admins import."""
    client = client_as(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    before = _snapshot()
    assert client.post(URL, {"file": upload(MATHKIT)}).status_code == 403
    # A body that cannot even be parsed still gets the 403: it is never read.
    garbage = client.generic(
        "POST", URL, b"--x\r\nnot a form", content_type="multipart/form-data; boundary=y"
    )
    assert garbage.status_code == 403
    assert parsed == [] and _snapshot() == before


def test_anonymous_users_are_sent_to_sign_in(client_as, product, xsdk, parsed):
    response = client_as().post(URL, {"file": upload(MATHKIT)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert parsed == [] and not Assessment.objects.exists()


def test_the_product_page_offers_the_upload_to_those_who_may(
    client_as, product, xsdk, lead, maintainer, stranger
):
    link = f'href="{URL}"'
    assert link in client_as(lead).get("/products/widget/").content.decode()
    for user in (None, stranger, maintainer):
        assert link not in client_as(user).get("/products/widget/").content.decode()


def test_a_lead_imports_a_file_and_sees_what_changed(client_as, lead, product, xsdk):
    client = client_as(lead)
    form = client.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    response = client.post(URL, {"file": upload(MATHKIT), "evidence_url": ""})
    assert response.status_code == 302
    assert response["Location"] == "/products/widget/#compliance-h"
    assessment = Assessment.objects.get(product=product, policy__code="M1")
    assert (assessment.source, assessment.assessed_by) == ("imported", lead)
    assert Assessment.objects.filter(product=product).count() == 23
    page = client.get(response["Location"]).content.decode()
    assert (
        '<li class="success">Imported mathkit-policy-compatibility.md (xSDK 1.0.0 numbering): '
        "23 assessments created, 0 updated, 0 unchanged.</li>"
    ) in page
    warnings = re.findall(r'<li class="warning">(.*?)</li>', page)
    assert {w.split(":")[1] for w in warnings} == {"35", "47", str(_skipped_line())}
    assert all(w.startswith("mathkit-policy-compatibility.md:") for w in warnings)


def _skipped_line() -> int:
    text = MATHKIT.read_text()
    return next(n for n, line in enumerate(text.splitlines(), 1) if "**M14." in line)


def test_a_dry_run_shows_the_changes_and_writes_nothing(client_as, lead, product, xsdk):
    before = _snapshot()
    response = client_as(lead).post(URL, {"file": upload(MATHKIT), "dry_run": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "nothing was written" in html and "23 assessments would be created" in html
    assert "Line 35:" in html
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"),
    [
        ("no-table.md", (DATA / "xsdk/no-table.md").read_bytes(), 5, "no readable policy table"),
        ("latin1.md", "| **M1.** Café | Full |".encode("latin-1"), None, "not UTF-8 text"),
    ],
)
def test_a_bad_file_is_rejected_whole_with_file_line_and_reason(
    client_as, hub_admin, product, xsdk, name, content, line, reason
):
    before = _snapshot()
    response = client_as(hub_admin).post(URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file was rejected; nothing was written." in html
    where = f"{name}:{line}" if line else name
    assert re.search(rf"<li><code>{re.escape(where)}(:\d+)?</code>: {reason}", html)
    assert _snapshot() == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    client_as, hub_admin, product, xsdk, parsed
):
    big = SimpleUploadedFile("big.md", b"| **M1.** x | Full |\n" * 60_000)  # about 1.3 MB
    before = _snapshot()
    response = client_as(hub_admin).post(URL, {"file": big})
    assert response.status_code == 413
    assert "The file is too large: at most 1 MB." in response.content.decode()
    assert parsed == [] and _snapshot() == before


def test_a_file_just_over_the_limit_is_refused_by_its_size(client_as, hub_admin, product, xsdk):
    just_over = SimpleUploadedFile("over.md", b"x" * (1024 * 1024 + 1))
    response = client_as(hub_admin).post(URL, {"file": just_over})
    assert response.status_code == 400
    assert "the file is larger than 1 MB, the limit for xsdk_compat files" in (
        response.content.decode()
    )
    assert not Assessment.objects.exists()


def test_the_csrf_token_is_still_required(hub_admin, product, xsdk, parsed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hub_admin)
    response = client.post(URL, {"file": upload(MATHKIT)})
    assert response.status_code == 403
    assert parsed == [] and not Assessment.objects.exists()
