"""A database made before the lifecycle moved out of products and spokes migrates forward
with every row: requests (and their history), decisions, votes and events keep their tables,
the seeded catalog is untouched, and content types (with the permissions on them) follow the
models to the lifecycle and events apps.

The test walks the real migration graph with ``MigrationExecutor``: back to the schema before
the move, writes rows there with the historical models of that schema, then forward to the
latest leaf nodes (whatever migrations have been added since, so it keeps working as the
graph grows) and reads the rows with today's models.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor

from events.models import Event
from lifecycle.models import Decision, LifecycleRequest, Vote
from products.models import Area, Assessment, Dependency, Membership, Product
from products.seed_loader import load_seed
from spokes.models import Community, GovernanceBody, Policy, PolicySet

# The schema before the move: products up to its stakeholders, spokes as first made, and
# neither the lifecycle nor the events app.
BEFORE_THE_MOVE = [
    ("products", "0004_stakeholders"),
    ("spokes", "0001_initial"),
    ("lifecycle", None),
    ("events", None),
]
MOVED_OUT = [
    ("products", "0005_lifecycle_and_events_move_out"),
    ("spokes", "0002_decisions_and_votes_move_out"),
    ("lifecycle", "0001_initial"),
    ("lifecycle", "0002_content_types_follow_moved_models"),
    ("events", "0001_initial"),
]

# model name: (app label before the move, app label after it)
MOVED_MODELS = {
    "lifecyclerequest": ("products", "lifecycle"),
    "historicallifecyclerequest": ("products", "lifecycle"),
    "decision": ("spokes", "lifecycle"),
    "vote": ("spokes", "lifecycle"),
    "event": ("products", "events"),
}

# The seeded tables, by today's model and by its label in the old schema (none moved).
SEED_MODELS = {
    "products.Product": Product,
    "products.Membership": Membership,
    "products.Assessment": Assessment,
    "products.Dependency": Dependency,
    "products.Area": Area,
    "spokes.Community": Community,
    "spokes.Policy": Policy,
    "spokes.PolicySet": PolicySet,
    "spokes.GovernanceBody": GovernanceBody,
}


def _at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 3, 14, hour, minute, tzinfo=datetime.UTC)


def _migrate(targets) -> MigrationExecutor:
    """Migrate to ``targets``; return an executor whose loader sees the result."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _seed_counts(models: dict) -> dict[str, int]:
    counts = {label: model._default_manager.count() for label, model in models.items()}
    through = models["products.Product"]._meta.get_field("areas").remote_field.through
    counts["products.Product.areas"] = through._default_manager.count()
    return counts


class Writer:
    """Creates rows with the historical models of one schema and remembers, per table, the
    values it wrote (foreign keys by id), in primary-key order."""

    def __init__(self) -> None:
        self.written: dict[str, list[dict]] = {}

    def create(self, model, **values):
        row = model._default_manager.create(**values)
        # update() skips auto_now / auto_now_add, so the timestamps are the ones given here.
        model._default_manager.filter(pk=row.pk).update(**values)
        plain = {model._meta.pk.attname: row.pk}
        for name, value in values.items():
            attname = model._meta.get_field(name).attname
            plain[attname] = value.pk if isinstance(value, models.Model) else value
        self.written.setdefault(model._meta.db_table, []).append(plain)
        return row


def _write_before_the_move(apps) -> tuple[Writer, dict[str, int]]:
    """Requests with their history, decisions, votes and events, as the old code kept them;
    and a permission granted on the old content type of requests."""
    User = apps.get_model("auth", "User")
    Product_ = apps.get_model("products", "Product")
    Community_ = apps.get_model("spokes", "Community")
    Seat = apps.get_model("spokes", "Seat")
    OldRequest = apps.get_model("products", "LifecycleRequest")
    OldHistory = apps.get_model("products", "HistoricalLifecycleRequest")
    OldDecision = apps.get_model("spokes", "Decision")
    OldVote = apps.get_model("spokes", "Vote")
    OldEvent = apps.get_model("products", "Event")
    OldContentType = apps.get_model("contenttypes", "ContentType")
    OldPermission = apps.get_model("auth", "Permission")

    maintainer, lead, *voters = (
        User.objects.create(username=name, email=f"{name}@example.org", password="!")
        for name in ("maintainer", "lead", "seat1", "seat2", "seat3")
    )
    xsdk = Community_.objects.get(slug="xsdk")
    body = xsdk.governance
    seats = [
        Seat.objects.create(body=body, user=user, represents="product_team", represents_name=n)
        for user, n in zip(voters, ("PETSc", "hypre", "SUNDIALS"), strict=True)
    ]
    chipstar, hypre, petsc, superlu = (
        Product_.objects.get(slug=slug) for slug in ("chipstar", "hypre", "petsc", "superlu-dist")
    )
    w = Writer()

    pending = w.create(
        OldDecision,
        community=xsdk,
        body=body,
        subject="Onramp of chipStar into xSDK",
        outcome="pending",
        rationale="",
        opened_at=_at(10),
        closed_at=None,
        closed_by=None,
    )
    approved = w.create(
        OldDecision,
        community=xsdk,
        body=body,
        subject="Offramp of hypre from xSDK",
        outcome="approved",
        rationale="Superseded by PETSc's own solvers.",
        opened_at=_at(11),
        closed_at=_at(15, 30),
        closed_by=lead,
    )
    for decision, seat, choice, comment, hour in [
        (pending, seats[0], "yes", "Meets M1-M17.", 12),
        (pending, seats[1], "no", "", 13),
        (approved, seats[0], "yes", "", 12),
        (approved, seats[2], "abstain", "Conflict of interest.", 14),
    ]:
        w.create(
            OldVote,
            decision=decision,
            seat=seat,
            voter=seat.user,
            choice=choice,
            comment=comment,
            cast_at=_at(hour),
        )

    onramp = w.create(
        OldRequest,
        kind="onramp",
        product=chipstar,
        community=xsdk,
        state="in_review",
        rationale="Ready for review.",
        reason="",
        successor=None,
        support_organization="",
        end_of_support=None,
        migration_notes="",
        acknowledge_dependents=False,
        requested_by=maintainer,
        decision=pending,
        created_at=_at(9),
        updated_at=_at(10),
        submitted_at=_at(9, 30),
        decided_at=None,
    )
    offramp = w.create(
        OldRequest,
        kind="offramp",
        product=hypre,
        community=xsdk,
        state="approved",
        rationale="",
        reason="superseded",
        successor=petsc,
        support_organization="Spack community",
        end_of_support=datetime.date(2026, 6, 30),
        migration_notes="Use PETSc's PCHYPRE interface.",
        acknowledge_dependents=True,
        requested_by=lead,
        decision=approved,
        created_at=_at(8),
        updated_at=_at(15, 30),
        submitted_at=_at(8, 15),
        decided_at=_at(15, 30),
    )
    draft = w.create(
        OldRequest,
        kind="onramp",
        product=superlu,
        community=Community_.objects.get(slug="dav"),
        state="draft",
        rationale="",
        reason="",
        successor=None,
        support_organization="",
        end_of_support=None,
        migration_notes="",
        acknowledge_dependents=False,
        requested_by=None,
        decision=None,
        created_at=_at(16),
        updated_at=_at(16),
        submitted_at=None,
        decided_at=None,
    )
    # The history simple_history kept of the onramp: created as a draft, then submitted.
    for state, history_type, hour in [("draft", "+", 9), ("submitted", "~", 10)]:
        w.create(
            OldHistory,
            id=onramp.pk,
            kind="onramp",
            product=chipstar,
            community=xsdk,
            state=state,
            rationale="Ready for review.",
            reason="",
            successor=None,
            support_organization="",
            end_of_support=None,
            migration_notes="",
            acknowledge_dependents=False,
            requested_by=maintainer,
            decision=None,
            created_at=_at(9),
            updated_at=_at(hour),
            submitted_at=_at(9, 30) if state == "submitted" else None,
            decided_at=None,
            history_date=_at(hour),
            history_change_reason=None,
            history_type=history_type,
            history_user=maintainer,
        )

    for verb, actor, product, community, request, data, hour in [
        ("request_created", maintainer, chipstar, xsdk, onramp, {"kind": "onramp"}, 9),
        (
            "vote_cast",
            voters[0],
            chipstar,
            xsdk,
            onramp,
            {"decision": pending.pk, "choice": "yes", "replaced": False},
            12,
        ),
        (
            "request_approved",
            lead,
            hypre,
            xsdk,
            offramp,
            {"checklist": [{"key": "dependents", "passed": True, "detail": ["petsc"]}]},
            15,
        ),
        ("request_created", None, superlu, None, draft, {}, 16),
        ("product_updated", None, petsc, None, None, {"fields": ["summary"]}, 17),
    ]:
        w.create(
            OldEvent,
            verb=verb,
            actor=actor,
            product=product,
            community=community,
            request=request,
            data=data,
            created_at=_at(hour),
        )

    # Content types as the old code saw them (the backward migration renamed them).
    old_types = {}
    for model, (old_label, new_label) in MOVED_MODELS.items():
        assert not OldContentType.objects.filter(app_label=new_label, model=model).exists()
        old_types[model] = OldContentType.objects.get(app_label=old_label, model=model).pk
    permission = OldPermission.objects.get(
        content_type_id=old_types["lifecyclerequest"], codename="change_lifecyclerequest"
    )
    lead.user_permissions.add(permission)
    return w, old_types


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_row_after_migrating_forward():
    # The seed is loaded with today's code, then the schema goes back under it: the
    # migrations of the move touch no table, so an old database held these very rows.
    load_seed()
    seed_counts = _seed_counts(SEED_MODELS)
    assert seed_counts["products.Product"] > 0 and seed_counts["products.Dependency"] > 0
    # Content types of today's models, as ``migrate`` leaves them (post_migrate).
    ContentType.objects.get_for_models(LifecycleRequest, Decision, Vote, Event)
    try:
        # 1. Back to the schema before the move; the migrations of the move reverse cleanly.
        graph = MigrationExecutor(connection).loader.graph
        for key in MOVED_OUT:
            assert all(op.reversible for op in graph.nodes[key].operations), key
        executor = _migrate(BEFORE_THE_MOVE)
        applied = set(executor.loader.applied_migrations)
        assert ("products", "0004_stakeholders") in applied
        assert ("spokes", "0001_initial") in applied
        assert not applied & set(MOVED_OUT)
        assert not {app for app, _ in applied} & {"lifecycle", "events"}
        nodes = [node for node in sorted(applied) if node in executor.loader.graph.nodes]
        old = executor.loader.project_state(nodes).apps
        with pytest.raises(LookupError):
            old.get_model("lifecycle", "LifecycleRequest")

        # 2. The seed is there in the old schema; requests, decisions, votes, events join it.
        old_seed = {label: old.get_model(label) for label in SEED_MODELS}
        assert _seed_counts(old_seed) == seed_counts
        writer, old_types = _write_before_the_move(old)

        # 3. Forward to the latest migrations, whatever they are.
        executor = _migrate(_latest())
        assert set(executor.loader.applied_migrations) >= set(executor.loader.graph.leaf_nodes())

        # 4. Every row, read with today's models.
        ContentType.objects.clear_cache()
        tables = {
            "products_lifecyclerequest": LifecycleRequest,
            "products_historicallifecyclerequest": LifecycleRequest.history.model,
            "spokes_decision": Decision,
            "spokes_vote": Vote,
            "products_event": Event,
        }
        assert set(tables) == set(writer.written)
        for table, model in tables.items():
            assert model._meta.db_table == table
            written = writer.written[table]
            pk = model._meta.pk.attname
            stored = list(model._default_manager.order_by(pk).values(*written[0]))
            assert stored == sorted(written, key=lambda row: row[pk]), table

        onramp = LifecycleRequest.objects.get(product__slug="chipstar")
        assert [h.state for h in onramp.history.order_by("history_date")] == [
            "draft",
            "submitted",
        ]
        assert onramp.decision.votes.count() == 2
        assert onramp.events.count() == 2
        offramp = LifecycleRequest.objects.get(product__slug="hypre")
        assert (offramp.successor.slug, offramp.decision.closed_by.username) == ("petsc", "lead")
        assert sorted(v.choice for v in offramp.decision.votes.all()) == ["abstain", "yes"]

        assert _seed_counts(SEED_MODELS) == seed_counts

        for model, (old_label, new_label) in MOVED_MODELS.items():
            assert not ContentType.objects.filter(app_label=old_label, model=model).exists()
            moved = ContentType.objects.get(pk=old_types[model])
            assert (moved.app_label, moved.model) == (new_label, model)
        assert (
            ContentType.objects.get_for_model(LifecycleRequest).pk == old_types["lifecyclerequest"]
        )
        assert ContentType.objects.get_for_model(Event).pk == old_types["event"]
        assert Permission.objects.filter(
            user__username="lead",
            content_type__app_label="lifecycle",
            codename="change_lifecyclerequest",
        ).exists()
    finally:
        # Leave the database at the latest schema for the tests that follow.
        _migrate(_latest())
        ContentType.objects.clear_cache()
