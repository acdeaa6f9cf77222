"""Schema-driven fuzzing of the REST API with schemathesis (DESIGN §9, Reliability).

The schema is read from the app itself (``/api/v1/schema/`` through Django's WSGI app), and
every operation is called in-process through the same WSGI app (no network) with data
generated from that schema. Schemathesis' default checks run on every response: no server
error, a documented status code, a documented content type and headers, a body that
conforms to the schema, and invalid input rejected.

Stateless (each operation on its own):

- ``test_anonymous_reads``: every GET, as an anonymous client.
- ``test_hub_admin_writes``: every POST/PATCH/DELETE, as a hub admin with an API token,
  so the write handlers run (and the If-Match / transition paths are reached).
- ``test_stranger_writes``: the same operations as a signed-in user with no role, whose
  writes are refused (a documented 4xx, never a 5xx), wherever the refusal is decided.
- ``test_maintainer_writes``: the writes a maintainer of one product may make (products,
  uses, assessments, requests, imports), with an API token; bodies name their product,
  paths any object, so both their accepted writes and the refusals are reached.

Stateful (schemathesis' state machine, `run_scenarios`): each scenario starts with an
operation and follows the OpenAPI links the schema documents (`add_links` in
``peso_registry/schema.py``): register a product, then read it, change it, record a use;
open a request, then change, submit, review, approve, reject or withdraw it; create a
community, policy set, stakeholder or assessment, then read and change it. Besides the
checks above, the stateful checks run (what was created can be read; what was deleted is
gone). Each scenario runs in a savepoint rolled back at its end, so all start from the
same world and a failure replays as it ran.

- ``test_hub_admin_scenarios``: as a hub admin, who may take every step.
- ``test_maintainer_scenarios``: as the maintainer of one product: steps on their own
  objects succeed, the rest are refused (403/404), never a 5xx.

Each operation runs against a small seeded world; generated path parameters are mostly
swapped for the slugs and ids of that world (a random slug only tests the 404), while some
are kept as generated (and those a link filled in are always kept), and names of other
objects in queries and bodies always name one of the world (`use_world`). Invalid
(negative) data is sent as generated. Generation is derandomized and bounded (with
schemathesis' own coverage phase for the anonymous, hub-admin and stranger runs), so the
run is repeatable and bounded: about two and a half minutes of CPU time in all (the
wall time is longer on a machine busy with other work).

Checks excluded, each for the operations where it cannot hold (`excluded_checks_for`):
negative_data_rejection for JSON bodies (DRF coerces scalars by design) and
positive_data_acceptance for the import upload (a random file is rightly refused), and
for the stranger and the maintainer everywhere (a schema-valid write to what they may not
change is rightly refused).
"""

from __future__ import annotations

import datetime
import itertools
import zlib

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.models import ApiToken
from events.models import Event
from funding.models import FundingCall
from hub.models import Release, ReleaseItem
from lifecycle import decisions
from lifecycle.models import LifecycleRequest
from planning.models import AnnualPlan, ChangeRequest, Meeting, Milestone
from products.models import Stakeholder
from spokes.models import PolicySet
from tests.conftest import (
    make_assessment,
    make_body,
    make_dependency,
    make_policy_set,
    make_product,
    make_user,
)
from tests.funding.conftest import make_call, make_proposal, seat

SCHEMA_PATH = "/api/v1/schema/?format=json"

# Django's own WSGI handler: the full middleware stack, as in production.
APP = WSGIHandler()

# Django's URLValidator accepts fewer addresses than RFC 3986's `uri` (the schema's
# format): http(s)/ftp(s) only, a host with a real top-level domain, at most 2048
# characters. Generate URLs of that kind, so schema-valid bodies are not refused for it.
schemathesis.openapi.format(
    "uri",
    st.builds(
        "https://{}.example.org/{}".format,
        st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
        st.from_regex(r"[a-zA-Z0-9_~-]{0,30}", fullmatch=True),
    ),
)

# Loaded once, at collection, through the app. The schema view does not touch the
# database (pytest-django would refuse it here).
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, APP)
# No NUL characters in generated strings: PostgreSQL text cannot hold them, so DRF refuses
# them in every string field ("Null characters are not allowed.", a 400), by design.
schema.config.generation.update(allow_x00=False)

FUZZ_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    # The world is built once per operation; examples of one operation share it (and see
    # each other's writes, which only makes the fuzzing broader).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's transaction across WSGI requests.

    Django's handler closes "old" connections at the start and end of every request; inside
    the test's atomic block that would poison the transaction. Django's test client
    disconnects the same receiver for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(
    wsgi_in_test_transaction,
    community,
    other_community,
    product,
    other_product,
    lead,
    hub_admin,
    maintainer,
):
    """A small registry: two spokes, products with memberships, a dependency, assessments,
    requests in several states, an open decision with a vote, a stakeholder and its use,
    a spoke's bundle and an E4S release, events (written by the services)."""
    policies = list(community.policy_set.policies.order_by("position"))
    make_dependency(other_product, product)
    assessment = make_assessment(product, policies[0], "full")
    make_assessment(product, policies[1], "partial")

    newcomer = make_product("newcomer")
    seat_holder = make_user("seat_holder")
    make_body(community, seats=[seat_holder, hub_admin], requires_vote=True)
    draft = LifecycleRequest.objects.create(
        kind="onramp", product=newcomer, community=community, requested_by=hub_admin
    )
    submitted = LifecycleRequest.objects.create(
        kind="onramp", product=other_product, community=community, state="submitted"
    )
    in_review = LifecycleRequest.objects.create(
        kind="offramp",
        product=product,
        community=community,
        state="submitted",
        reason="unmaintained",
    )
    decision = decisions.open_decision(community=community, subject=str(in_review))
    LifecycleRequest.objects.filter(pk=in_review.pk).update(decision=decision, state="in_review")
    decisions.cast_vote(decision=decision, by=seat_holder, choice="yes", comment="Fine")

    bundle = Release.objects.create(
        slug="alpha-1.0",
        name="alpha@1.0",
        kind="bundle",
        community=community,
        version="1.0",
        source="https://example.org/alpha/package.py",
    )
    ReleaseItem.objects.create(release=bundle, package="widget", product=product)
    ReleaseItem.objects.create(release=bundle, package="py-helper")
    e4s = Release.objects.create(
        slug="e4s-25.11", name="E4S 25.11", kind="e4s", version="25.11", source="e4s.yaml"
    )
    stakeholder = Stakeholder.objects.create(slug="lab", name="A lab")
    product.uses.create(stakeholder=stakeholder, note="Production runs")
    extra_set = make_policy_set("extra")  # a base for `base` to name besides itself
    event = Event.objects.create(verb="product.registered", product=product, community=community)
    # Funding: an open call, and one under review whose proposal the panel has not scored
    # (so a hub admin's decision on it is a 409, whatever amount it names).
    open_call = make_call("fuzz-open")
    review_call = make_call("fuzz-review", "under_review")
    seat(review_call, seat_holder)
    funded = make_proposal(review_call, community, maintainer, state="under_review")
    _, key = ApiToken.issue(user=hub_admin, name="fuzz")
    _, stranger_key = ApiToken.issue(user=make_user("fuzz-stranger"), name="fuzz")
    _, maintainer_key = ApiToken.issue(user=maintainer, name="fuzz")
    products = [product.slug, other_product.slug, newcomer.slug]
    communities = [community.slug, other_community.slug]
    plan = AnnualPlan.objects.create(community=community, year=2025)
    milestone = Milestone.objects.create(plan=plan, title="Release", due=datetime.date(2025, 3, 1))
    change = ChangeRequest.objects.create(plan=plan, kind="add", title="Docs", reason="Asked.")
    Meeting.objects.create(
        slug="all-teams",
        title="All teams",
        kind="all_teams",
        starts=datetime.date(2025, 6, 1),
        ends=datetime.date(2025, 6, 2),
    )
    return {
        "token": key,
        "stranger_token": stranger_key,
        "maintainer_token": maintainer_key,  # maintains `product` (widget) only
        # Path parameters, by collection.
        "slug": {
            "products": products,
            "communities": communities,
            "policy-sets": [community.policy_set.slug, extra_set.slug],
            "stakeholders": [stakeholder.slug],
            "funding-calls": [open_call.slug, review_call.slug],
            "releases": [bundle.slug, e4s.slug],
            "meetings": ["all-teams"],
        },
        "id": {
            "plans": [plan.pk],
            "milestones": [milestone.pk],
            "change-requests": [change.pk],
            "requests": [draft.pk, submitted.pk, in_review.pk],
            "assessments": [assessment.pk],
            "decisions": [decision.pk],
            "events": [event.pk],
            "proposals": [funded.pk],
            "panel-members": list(review_call.panel.values_list("pk", flat=True)),
        },
        # Fields and query parameters that name another object, by name.
        "refs": {
            "product": products,
            "successor": products,
            "dependencies": products,
            "community": communities,
            "owner": communities,
            "policy_set": [community.policy_set.slug],
            "base": [community.policy_set.slug, extra_set.slug],
            "policy": [p.code for p in policies],
            "stakeholder": [stakeholder.slug],
            "maintainer": [hub_admin.username],
            "user": [seat_holder.username, hub_admin.username],
            "contacts": [seat_holder.username, hub_admin.username],  # a stakeholder's
            "partner": products,  # interoperability/
            "call": [open_call.slug, review_call.slug],
            "proposal": [funded.pk],
            "products": products,  # releases/, proposals/, and a panel member's conflicts
            "communities": communities,  # meetings/
        },
        "planning": {"plan": plan.pk, "milestone": milestone.pk, "change": change.pk},
    }


# Fields whose value may not name the object itself (a set based on itself, a product
# succeeding or depending on itself): refused by design, whatever the schema says.
NOT_SELF = ("base", "successor", "dependencies", "partner")


def _pick(value, known: list, avoid: set):
    if value in known and value not in avoid:
        return value
    choices = [k for k in known if k not in avoid] or known
    return choices[zlib.crc32(str(value).encode()) % len(choices)]


def _point_at_world(data, refs: dict, avoid: set = frozenset()):
    """Replace, in a generated body or query, the names of other objects by names from
    the world.

    A schema cannot say "the slug of an existing product": a random one is answered with
    400 by design, which is not what the fuzzing is after.
    """
    if isinstance(data, dict):
        for name, value in list(data.items()):
            known = refs.get(name)
            skip = avoid if name in NOT_SELF else set()
            if (known and isinstance(value, str) and value) or (known and type(value) is int):
                data[name] = _pick(value, known, skip)
            elif known and isinstance(value, list) and all(isinstance(v, str) for v in value):
                data[name] = [_pick(v, known, skip) for v in value]
            else:
                _point_at_world(value, refs, avoid)
    elif isinstance(data, list):
        for item in data:
            _point_at_world(item, refs, avoid)


_new_slugs = itertools.count(1)


def use_world(case, world, keep: frozenset[str] = frozenset()) -> None:
    """Point the generated request at objects of the world.

    Path parameters: three in four name an object of the world, the rest stay as generated
    (which exercises the 404s); those named in `keep` (filled from an earlier response by
    an OpenAPI link, in the stateful phase) stay as they are. References in the query and
    the body always name one. The choices depend only on the generated values (crc32, not
    Python's salted hash), so the run stays deterministic.
    """

    def positive(location: ParameterLocation) -> bool:
        # Leave invalid (negative) data alone: it must reach the app as generated.
        return case.meta is None or not case.meta.is_negative_at(location)

    collection = case.path.split("/")[3]  # /api/v1/<collection>/...
    for name, value in list(
        case.path_parameters.items() if positive(ParameterLocation.PATH) else ()
    ):
        h = zlib.crc32(str(value).encode())
        if h % 4 == 0 or name in keep:
            continue
        known = world["refs"]["stakeholder"] if name == "stakeholder" else None
        known = known or world[name].get(collection)
        if known:
            case.path_parameters[name] = str(known[h % len(known)])  # as generated: text
    if case.query and positive(ParameterLocation.QUERY):
        _point_at_world(case.query, world["refs"])
    if isinstance(case.body, dict) and positive(ParameterLocation.BODY):
        body = case.body
        if isinstance(body.get("product"), str) and body["product"]:
            body["product"] = _pick(body["product"], world["refs"]["product"], set())
        # A generated body may carry any value under any name (additional properties).
        avoid = {
            value
            for value in (case.path_parameters.get("slug"), body.get("product"))
            if isinstance(value, str)
        }
        if collection == "requests" and "id" in case.path_parameters:
            avoid.add(_product_of_request(case.path_parameters["id"]))
        cycles = _cycles(case, collection)
        _point_at_world(body, world["refs"], avoid | cycles)
        _break_cycle(body, cycles)
        if isinstance(body.get("slug"), str):
            if case.method == "PATCH" and "slug" in case.path_parameters:
                # A slug never changes: a PATCH may only repeat the current one.
                body["slug"] = case.path_parameters["slug"]
            elif case.method == "POST":
                # Slugs are unique: each example registers a new one.
                body["slug"] = f"{body['slug'][:40]}-{next(_new_slugs)}"
        _satisfy_cross_field_rules(body)
        _keep_call_dates(case, body, collection)
        _keep_version_without_policies(case, body, collection)
        _release_community_by_kind(case, body, collection, world["refs"]["community"][0])
        _satisfy_planning_rules(case, body, collection, world["planning"])


PLANNING = ("plans", "milestones", "change-requests", "meetings")
_years = itertools.count(0)


def _not_future(body: dict, name: str) -> None:
    value = body.get(name)
    if isinstance(value, str) and value > datetime.date.today().isoformat():
        body[name] = "2025-01-01"


def _satisfy_planning_rules(case, body: dict, collection: str, planning: dict) -> None:
    """Planning's rules between fields and rows, stated in the operations' descriptions:
    one plan per community and year, a change request's kind deciding what it names, dates
    already past for what is recorded, an outcome for every milestone of the plan."""
    if collection not in PLANNING:
        return
    if "plan" in body:
        body["plan"] = planning["plan"]
    if collection == "plans" and case.method == "POST":
        body["year"] = 2026 + next(_years) % 75  # a plan per community and year
    if collection == "plans" and case.method == "PATCH":
        body.pop("community", None)
        body.pop("year", None)
    if "owner" in body:  # a username, or a name, not both
        body["owner"] = None
    for name in ("date", "decided_on", "assessed_on"):
        _not_future(body, name)
    if collection == "change-requests" and case.method == "POST":
        _change_request_rules(body, planning)
    if "outcomes" in body and collection == "plans":
        plan_id = case.path_parameters.get("id")
        pks = Milestone.objects.filter(plan_id=_int(plan_id)).values_list("pk", flat=True)
        body["outcomes"] = [{"milestone": pk, "outcome": "achieved"} for pk in pks]
    if collection == "meetings":
        _meeting_rules(body, planning)


def _change_request_rules(body: dict, planning: dict) -> None:
    """An add names no milestone and has a title and due date; a drop or a re-scope names
    an open milestone of the plan (none left: an add)."""
    open_ = Milestone.objects.filter(plan_id=planning["plan"]).exclude(
        status__in=("done", "dropped")
    )
    milestone = open_.values_list("pk", flat=True).first()
    if body.get("kind") != "add" and milestone is None:
        body["kind"] = "add"
    if body.get("kind") == "add":
        body["milestone"] = None
        body["title"] = body.get("title") or "New milestone"
        body["due"] = body.get("due") or "2025-09-01"
    else:
        body["milestone"] = milestone
        if body.get("kind") == "drop":
            body.update(title="", due=None, products=[])
        else:
            body["title"] = body.get("title") or "Smaller"


def _meeting_rules(body: dict, planning: dict) -> None:
    """A meeting ends on or after it starts; each outcome links to what it produced."""
    if isinstance(body.get("starts"), str) and isinstance(body.get("ends"), str):
        body["ends"] = max(body["starts"], body["ends"])
    for outcome in body.get("outcomes") or ():
        if isinstance(outcome, dict):
            outcome.update(milestone=planning["milestone"], change_request=planning["change"])
            outcome["summary"] = outcome.get("summary") or "Agreed"


def _int(value) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) < 2**31 else 0


def _cycles(case, collection: str) -> set[str]:
    """For a policy set's PATCH: the sets an earlier example based on this one, which it
    cannot take as its base (a cycle, refused by design)."""
    if collection != "policy-sets" or "slug" not in case.path_parameters:
        return set()
    return _sets_based_on(case.path_parameters["slug"])


def _break_cycle(body: dict, cycles: set[str]) -> None:
    """No set was left to name as the base: name none."""
    if body.get("base") in cycles:
        body["base"] = None


def _sets_based_on(slug: str) -> set[str]:
    """The policy sets whose chain of bases reaches the set ``slug``."""
    bases = dict(PolicySet.objects.values_list("slug", "base__slug"))
    found = set()
    for name in bases:
        base, seen = bases[name], set()
        while base and base not in seen:
            if base == slug:
                found.add(name)
                break
            seen.add(base)
            base = bases.get(base)
    return found


def _keep_call_dates(case, body: dict, collection: str) -> None:
    """A call's PATCH naming one of its dates keeps it on the right side of the other,
    which stays as stored (a call closes on or after the day it opens)."""
    if collection != "funding-calls" or case.method != "PATCH":
        return
    stored = FundingCall.objects.filter(slug=case.path_parameters.get("slug")).first()
    if stored is None:
        return
    if isinstance(body.get("closes_at"), str) and "opens_at" not in body:
        body["closes_at"] = max(body["closes_at"], stored.opens_at.isoformat())
    if isinstance(body.get("opens_at"), str) and "closes_at" not in body:
        body["opens_at"] = min(body["opens_at"], stored.closes_at.isoformat())


def _keep_version_without_policies(case, body: dict, collection: str) -> None:
    """Changing a policy set's `version` requires the new version's list of policies
    (stated in the description of `policies`): a PATCH without it keeps the version."""
    if collection == "policy-sets" and case.method == "PATCH" and "policies" not in body:
        body.pop("version", None)


def _release_community_by_kind(case, body: dict, collection: str, spoke: str) -> None:
    """A Spack bundle names its community and an E4S release none (stated in the
    operations' descriptions): keep a body true to the kind it creates or leaves."""
    if collection != "releases" or case.method not in ("POST", "PATCH"):
        return
    kind = body.get("kind")
    if kind is None and case.method == "PATCH":
        slug = case.path_parameters.get("slug")
        kind = Release.objects.filter(slug=slug).values_list("kind", flat=True).first()
        if "community" not in body:
            return  # the release keeps its community, true to its kind
    if kind == Release.Kind.E4S:
        body["community"] = None
    elif kind == Release.Kind.BUNDLE and not body.get("community"):
        body["community"] = spoke


def _product_of_request(pk) -> str | None:
    """The product of the addressed request: one of the world's, or one a scenario opened."""
    text = str(pk)
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**31):
        return None  # not a request id (the lookup would be refused by the column)
    requests = LifecycleRequest.objects.filter(pk=int(text))
    return requests.values_list("product__slug", flat=True).first()


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return True  # not a number: left to the validation it tests


def _satisfy_funding_rules(body: dict) -> None:
    """funding-calls/: each criterion's weight more than 0 and name its own; a call closes
    on or after the day it opens."""
    criteria = body.get("criteria")
    if isinstance(criteria, list):
        names = set()
        for n, criterion in enumerate(c for c in criteria if isinstance(c, dict)):
            if criterion.get("weight") is not None and not _positive(criterion["weight"]):
                criterion["weight"] = "1"
            name = str(criterion.get("name", "")).strip().casefold()
            if name in names:
                criterion["name"] = f"{criterion['name']} {n}"
            names.add(str(criterion.get("name", "")).strip().casefold())
    if isinstance(body.get("opens_at"), str) and isinstance(body.get("closes_at"), str):
        body["closes_at"] = max(body["opens_at"], body["closes_at"])


def _satisfy_cross_field_rules(body: dict) -> None:
    """Rules between fields or rows, stated in the operations' descriptions but not
    expressible in the schema: keep valid examples valid."""
    status = body.get("status")
    # Required for these (a PATCH without `status` keeps one that may need it).
    needs_justification = status in ("partial", "na") or (
        status is None and "justification" in body
    )
    if needs_justification and not body.get("justification"):
        body["justification"] = "Explained in the team's notes."
    items = body.get("assessments")
    if isinstance(items, list) and items:
        # assessments/bulk/: each item obeys the single upsert's rules, each policy once.
        codes, kept = set(), []
        for entry in items:
            if isinstance(entry, dict):
                if entry.get("policy") in codes:
                    continue
                codes.add(entry.get("policy"))
                _satisfy_cross_field_rules(entry)
            kept.append(entry)
        body["assessments"] = kept
    if "expires_on" in body and "reason" in body:
        # waivers/: the expiry comes after today, and the product is held to the set
        # (a member of `community`, whose set the world's policy refs name).
        body["expires_on"] = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        body["product"] = "widget"
    for policy in body.get("policies") or ():
        if isinstance(policy, dict) and "adapts" in policy:
            policy["adapts"] = None  # must name a policy of the base set
    _satisfy_funding_rules(body)
    governance = body.get("governance")
    if isinstance(governance, dict) and isinstance(governance.get("seats"), list):
        seen, seats = set(), []
        for seat in governance["seats"]:  # one seat per person on a body
            user = seat.get("user") if isinstance(seat, dict) else None
            if user not in seen:
                seen.add(user)
                seats.append(seat)
        governance["seats"] = seats


@schema.include(method="GET").parametrize()
@FUZZ_SETTINGS
def test_anonymous_reads(case, world):
    use_world(case, world)
    case.call_and_validate()


def excluded_checks_for(operation) -> list:
    """Checks that cannot apply to an operation, each for a stated reason."""
    excluded = []
    body = (operation.definition.raw.get("requestBody") or {}).get("content", {})
    if "application/json" in body:
        # DRF parses JSON scalars leniently, by design and as documented: a string field
        # takes a number (`"comment": 0` is "0"), a boolean takes 0/1 and "true"/"false",
        # a number takes a numeric string. Schemathesis sends exactly those as "wrong
        # type" bodies, so for JSON bodies "invalid data is rejected" does not hold.
        # Every other check runs, and query/path parameters keep this one (reads).
        excluded.append(negative_data_rejection)
    if operation.path == "/api/v1/imports/":
        # The uploaded file's content is a catalog, Spack recipe or xSDK file, which the
        # schema can only call "binary": a random file is rightly refused (400 with the
        # file's errors), so "schema-valid data is accepted" does not apply.
        excluded.append(positive_data_acceptance)
    return excluded


@schema.exclude(method="GET").parametrize()
@FUZZ_SETTINGS
def test_hub_admin_writes(case, world):
    use_world(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Token {world['token']}"},
        excluded_checks=excluded_checks_for(case.operation),
    )


@schema.exclude(method="GET").parametrize()
@FUZZ_SETTINGS
def test_stranger_writes(case, world):
    use_world(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Token {world['stranger_token']}"},
        # A stranger's schema-valid write is rightly refused (403), so "accepted" cannot hold.
        excluded_checks=[*excluded_checks_for(case.operation), positive_data_acceptance],
    )


def as_maintainer(world) -> dict:
    """The world as the maintainer fuzzes it: bodies name their own product, so their
    writes get past the permission check and reach validation and the services; path
    parameters still name any object (other products' are refused)."""
    own = world["slug"]["products"][:1]
    return {**world, "refs": {**world["refs"], "product": own}}


# What a maintainer may write beyond what anyone signed in may: their product, its uses,
# assessments, requests and imports. (Elsewhere they are the stranger above: refused.)
MAINTAINER_WRITES = r"^/api/v1/(products|assessments|requests|imports)/"


# Generated cases only: the coverage phase's boundary values were sent by the two runs
# above; here they would repeat the same validation at twice the cost.
@schema.exclude(method="GET").include(path_regex=MAINTAINER_WRITES).parametrize()
@settings(FUZZ_SETTINGS, max_examples=25, phases=[Phase.generate])
def test_maintainer_writes(case, world):
    use_world(case, as_maintainer(world))
    case.call_and_validate(
        headers={"Authorization": f"Token {world['maintainer_token']}"},
        # Writes to what the maintainer does not maintain are rightly refused (403).
        excluded_checks=[*excluded_checks_for(case.operation), positive_data_acceptance],
    )


# --- The stateful phase ---------------------------------------------------------------

# Only the links the schema documents (peso_registry.schema.add_links) drive the scenarios;
# schemathesis' own guesses from field names are not needed and would make them harder to
# read.
schema.config.phases.stateful.inference.algorithms = []

STATEFUL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)


def run_scenarios(world, token: str, *, excluded=()) -> dict:
    """Run schemathesis' state machine as the holder of `token`: each scenario starts with
    an operation and follows the schema's links (create a product, then change it, record a
    use; open a request, then submit it, review it, approve it …), every response checked
    as in the stateless tests plus the stateful checks (a created object can be read, a
    deleted one is gone). Returns what ran, for the test to assert on."""
    ran = {"calls": 0, "linked": 0, "operations": set(), "links": set()}

    class Scenarios(schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same world, so a failing one replays as it ran.
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def step(self, input):
            linked = {
                name
                for location, name in input.applied_parameters
                if location == ParameterLocation.PATH
            }
            use_world(input.case, world, keep=frozenset(linked))
            ran["calls"] += 1
            ran["operations"].add(input.case.operation.label)
            if input.transition is not None and input.is_applied:
                ran["linked"] += 1
                ran["links"].add(input.transition.id)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[*excluded_checks_for(case.operation), *excluded],
                # The token is ours, not generated: say so, as `call_and_validate` does.
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Scenarios.run(settings=STATEFUL_SETTINGS)
    return ran


def test_hub_admin_scenarios(world):
    ran = run_scenarios(world, world["token"])
    assert ran["linked"], "no scenario followed a link"


def test_maintainer_scenarios(world):
    ran = run_scenarios(
        as_maintainer(world), world["maintainer_token"], excluded=[positive_data_acceptance]
    )
    assert ran["linked"], "no scenario followed a link"
