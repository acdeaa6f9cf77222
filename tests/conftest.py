"""Personas and plain factories shared by the whole suite.

Personas (each a fixture returning a saved user):
- ``stranger``: signed in, no role anywhere.
- ``maintainer``: maintains ``product`` (a member of ``community``).
- ``other_maintainer``: maintains ``other_product`` only.
- ``lead``: lead of ``community``.
- ``other_lead``: lead of ``other_community``.
- ``hub_admin``: staff.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.test import APIClient

from products.models import Assessment, Dependency, Membership, Product
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat

_seq = itertools.count(1)

PASSWORD = "correct horse battery staple"


def make_user(username: str | None = None, **overrides):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **overrides
    )
    return user


def make_policy_set(slug: str | None = None, **overrides) -> PolicySet:
    slug = slug or f"set{next(_seq)}"
    defaults = {"name": f"Policy set {slug}", "version": "1.0"}
    defaults.update(overrides)
    return PolicySet.objects.create(slug=slug, **defaults)


def make_policy(policy_set: PolicySet, code: str | None = None, **overrides) -> Policy:
    code = code or f"P{next(_seq)}"
    defaults = {
        "version": policy_set.version,
        "title": f"Policy {code}",
        "summary": f"Summary of {code}",
        "level": Policy.Level.MANDATORY,
        "position": next(_seq),
    }
    defaults.update(overrides)
    return Policy.objects.create(policy_set=policy_set, code=code, **defaults)


def make_community(slug: str | None = None, **overrides) -> Community:
    slug = slug or f"spoke{next(_seq)}"
    defaults = {"name": f"Spoke {slug}", "kind": Community.Kind.SPOKE, "area": "Testing"}
    defaults.update(overrides)
    return Community.objects.create(slug=slug, **defaults)


def make_product(slug: str | None = None, *, maintainers=(), **overrides) -> Product:
    slug = slug or f"product{next(_seq)}"
    defaults = {
        "name": slug.title(),
        "summary": f"{slug} does useful things",
        "homepage": f"https://example.org/{slug}",
        "repository_url": f"https://github.com/example/{slug}",
        "license": "BSD-3-Clause",
        "spack_package": slug,
        "contact_email": f"{slug}@example.org",
    }
    defaults.update(overrides)
    product = Product.objects.create(slug=slug, **defaults)
    if maintainers:
        product.maintainers.add(*maintainers)
    return product


def make_membership(product: Product, community: Community, **overrides) -> Membership:
    return Membership.objects.create(product=product, community=community, **overrides)


def make_dependency(product: Product, depends_on: Product, **overrides) -> Dependency:
    return Dependency.objects.create(product=product, depends_on=depends_on, **overrides)


def make_assessment(product: Product, policy: Policy, status: str = "full", **overrides):
    if status in ("partial", "na"):
        overrides.setdefault("justification", "Explained in the team's notes.")
    return Assessment.objects.create(product=product, policy=policy, status=status, **overrides)


def grant(user, community: Community, role: str = CommunityRole.Role.LEAD) -> CommunityRole:
    return CommunityRole.objects.create(user=user, community=community, role=role)


def make_body(community: Community, *, seats=(), **overrides) -> GovernanceBody:
    defaults = {
        "name": f"{community.name} council",
        "quorum": Decimal("0.5"),
        "threshold": Decimal("0.5"),
        "requires_vote": False,
    }
    defaults.update(overrides)
    body = GovernanceBody.objects.create(community=community, **defaults)
    for user in seats:
        Seat.objects.create(body=body, user=user, represents=Seat.Represents.PRODUCT_TEAM)
    return body


# --- Worlds shared by a module's tests --------------------------------------------------
#
# Some worlds cost seconds to build: the real seed writes a few thousand rows with their
# history. A module whose every test reads the same world builds it once, in a module-scoped
# fixture, inside ``module_transaction``: a transaction rolled back when the module's last
# test is done. Each test runs in a savepoint within it (pytest-django's ``db``), so whatever
# a test writes is gone before the next one starts. Every other test of such a module would
# see the world too, so a module asks for its shared world in every test or in none
# (``_one_world_per_module`` fails a test that does not).


@contextmanager
def module_transaction(request, django_db_blocker, fixture: str) -> Iterator[None]:
    """Hold a transaction open until the end of ``request``'s module, for the world the
    module's tests share under the name ``fixture``; roll it back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        request.module._shared_world = fixture
        try:
            yield
        finally:
            request.module._shared_world = None
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _one_world_per_module(request):
    shared = getattr(request.module, "_shared_world", None)
    if shared and shared not in request.fixturenames:
        pytest.fail(
            f"{request.node.nodeid} runs while its module shares the world `{shared}`: "
            f"ask for `{shared}`, or move the test to a module of its own"
        )


@pytest.fixture(scope="module")
def seed_loader():
    """What ``seeded`` loads: the catalog seed, returning its outcome counts (a package's
    conftest overrides it to load more, e.g. the hub's releases)."""
    from products.seed_loader import load_seed

    return load_seed


@pytest.fixture(scope="module")
def _seeded_catalog(django_db_setup, django_db_blocker, seed_loader, request):
    with module_transaction(request, django_db_blocker, "seeded"):
        yield seed_loader()


@pytest.fixture
def seeded(_seeded_catalog, db) -> dict:
    """The real seed (``products/seed/``), loaded once for the module's tests; see above."""
    return _seeded_catalog


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Personas are created per test; the production hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- The standard little world -------------------------------------------------------


@pytest.fixture
def policy_set(db) -> PolicySet:
    """A base set with two mandatory policies and one recommended."""
    ps = make_policy_set("base")
    make_policy(ps, "P1", title="Builds with Spack")
    make_policy(ps, "P2", title="Has tests")
    make_policy(ps, "P3", title="Nice to have", level=Policy.Level.RECOMMENDED)
    return ps


@pytest.fixture
def community(policy_set) -> Community:
    return make_community("alpha", name="Alpha SDK", policy_set=policy_set)


@pytest.fixture
def other_community(policy_set) -> Community:
    return make_community("beta", name="Beta SDK", policy_set=policy_set)


@pytest.fixture
def stranger(db):
    return make_user("stranger")


@pytest.fixture
def maintainer(db):
    return make_user("maintainer")


@pytest.fixture
def other_maintainer(db):
    return make_user("other_maintainer")


@pytest.fixture
def lead(community):
    user = make_user("lead")
    grant(user, community)
    return user


@pytest.fixture
def other_lead(other_community):
    user = make_user("other_lead")
    grant(user, other_community)
    return user


@pytest.fixture
def hub_admin(db):
    return make_user("hub_admin", is_staff=True)


@pytest.fixture
def product(community, maintainer) -> Product:
    p = make_product("widget", maintainers=[maintainer])
    make_membership(p, community)
    return p


@pytest.fixture
def other_product(other_community, other_maintainer) -> Product:
    p = make_product("gadget", maintainers=[other_maintainer])
    make_membership(p, other_community)
    return p


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) -> an APIClient signed in as user (None: anonymous)."""

    def _make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _make
