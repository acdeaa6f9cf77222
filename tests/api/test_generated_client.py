"""A script author's view of the API: a typed client generated from the app's own OpenAPI
schema by openapi-python-client (no warnings: no model lost to a name clash, no type it
could not read) lists products with their compliance and opens and submits an onramp
request with a maintainer's token, against the running server."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import issue_token
from lifecycle.models import LifecycleRequest
from spokes.models import Policy
from tests.conftest import make_assessment, make_membership, make_product

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "peso_generated_client"


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory, django_db_blocker):
    """The client package generated once from `/api/v1/schema/` into a temporary folder and
    imported from there; the generator's run is kept for the assertions."""
    folder = tmp_path_factory.mktemp("client")
    config = folder / "config.yaml"
    # No post hooks: formatting the generated code is not what is tested.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    out = folder / PACKAGE
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--url",
        f"{live_server.url}/api/v1/schema/",
        "--meta",
        "none",
        "--config",
        str(config),
        "--output-path",
        str(out),
        "--fail-on-warning",
    ]
    with django_db_blocker.unblock():  # the server reads the database to build the schema
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    yield run, out
    sys.path.remove(str(folder))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture
def catalog(product, other_product, community, policy_set):
    """In alpha (set `base`: P1, P2 mandatory, P3 recommended): widget meets both mandatory
    policies, solverkit one of them (the other partial); gadget is in beta only."""
    p1, p2 = Policy.objects.get(code="P1"), Policy.objects.get(code="P2")
    make_assessment(product, p1, "full")
    make_assessment(product, p2, "full")
    solverkit = make_product("solverkit")
    make_membership(solverkit, community)
    make_assessment(solverkit, p1, "full")
    make_assessment(solverkit, p2, "partial")
    return product


def test_the_generator_reads_the_schema_without_a_warning(generated):
    run, out = generated
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    # The models a script needs are all there (a clash used to drop Product).
    models = {p.stem for p in (out / "models").glob("*.py")}
    assert {"product", "product_compliance_report", "lifecycle_request"} <= models
    # One type per shared shape, not one per operation: the field errors of a 400 and the
    # `format` parameter are components of their own.
    assert {"field_errors", "format_enum"} <= models
    assert [m for m in models if m.endswith("_format") or "update_response_400" in m] == []
    # Imported from the folder it was generated into.
    assert Path(importlib.import_module(PACKAGE).__file__).parent == out


def test_the_generated_client_lists_products_with_their_compliance(generated, catalog, live_server):
    run, _ = generated
    assert run.returncode == 0, run.stdout + run.stderr
    client = _module("client").Client(base_url=live_server.url)
    products_list = _module("api.products.products_list")
    paginated_product_list = _module("models.paginated_product_list")

    page = products_list.sync(client=client, community="alpha", page_size=10)

    assert isinstance(page, paginated_product_list.PaginatedProductList)
    assert page.count == 2
    statuses = {
        product.slug: {
            slug: summary.status.value
            for slug, summary in product.compliance.additional_properties.items()
        }
        for product in page.results
    }
    assert statuses == {"solverkit": {"base": "partial"}, "widget": {"base": "compliant"}}
    solverkit = next(p for p in page.results if p.slug == "solverkit")
    missing = solverkit.compliance.additional_properties["base"].missing
    assert [(m.code, m.status.value) for m in missing] == [("P2", "partial"), ("P3", "unknown")]

    # The filters work through the client as through a URL.
    mandatory_met = _module("models.products_list_mandatory_met").ProductsListMandatoryMet
    met = products_list.sync(client=client, mandatory_met=mandatory_met.TRUE)
    assert [p.slug for p in met.results] == ["widget"]


def test_the_generated_client_opens_and_submits_an_onramp_with_a_token(
    generated, catalog, maintainer, other_community, live_server
):
    run, _ = generated
    assert run.returncode == 0, run.stdout + run.stderr
    _, key = issue_token(user=maintainer, name="script")
    client = _module("client").AuthenticatedClient(base_url=live_server.url, token=key)
    models = _module("models")
    requests_create = _module("api.requests.requests_create")
    requests_submit = _module("api.requests.requests_submit_create")

    draft = requests_create.sync(
        client=client,
        body=models.LifecycleRequestCreateRequest(
            kind=models.RequestKindEnum.ONRAMP,
            product="widget",
            community="beta",
            rationale="Widget is used by two beta products.",
        ),
    )
    assert isinstance(draft, models.LifecycleRequest), draft
    assert (draft.state, draft.requested_by) == (models.LifecycleStateEnum.DRAFT, "maintainer")
    assert draft.url == f"{live_server.url}/requests/{draft.id}/"

    submitted = requests_submit.sync(draft.id, client=client, body=models.ActionRequest())
    assert isinstance(submitted, models.LifecycleRequest), submitted
    assert submitted.state == models.LifecycleStateEnum.SUBMITTED

    stored = LifecycleRequest.objects.get(pk=draft.id)
    assert (stored.kind, stored.product.slug, stored.community.slug) == (
        "onramp",
        "widget",
        "beta",
    )
    assert (stored.state, stored.requested_by) == ("submitted", maintainer)

    # Without the token the same call is refused, and the generated type says why.
    anonymous = _module("client").Client(base_url=live_server.url)
    refused = requests_create.sync_detailed(
        client=anonymous,
        body=models.LifecycleRequestCreateRequest(
            kind=models.RequestKindEnum.ONRAMP, product="widget", community="beta"
        ),
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Error)
    assert LifecycleRequest.objects.count() == 1
