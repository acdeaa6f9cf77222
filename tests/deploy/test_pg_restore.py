"""A `pg_dump` restores into a fresh database with every row of every table intact.

The backup and restore of docs/operations.md, run as written: the suite's database, holding
the real seed plus accounts, tokens, roles, requests, decisions, votes, events and history
rows, is dumped with `pg_dump --format=custom --no-owner`, restored with
`pg_restore --no-owner` into a database created for it, migrated (a dump of the running
version needs no migration), and then every table of the public schema is compared row for
row, and every sequence's position, so new rows of the restored registry take fresh keys.
"""

from __future__ import annotations

import glob
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection

from accounts.services import issue_token
from events import log as events
from events.models import Event
from lifecycle import transitions
from lifecycle.decisions import cast_vote, open_decision
from lifecycle.models import LifecycleRequest, Vote
from products.models import Assessment, Product
from products.seed_loader import load_seed
from products.services import update_product, upsert_assessment
from spokes.models import Community, CommunityRole, Policy, Seat
from spokes.services import grant_role
from tests.conftest import make_user
from tests.deploy.conftest import deployer_env, manage

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),  # pg_dump sees only committed rows
]


def _pg_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)
    if not candidates:
        pytest.fail("PostgreSQL client binaries are missing (bin/setup --dev installs them)")
    return Path(candidates[-1])


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(path).parent.name.split(".") if part.isdigit())


def _url(name: str) -> str:
    """A libpq URL of database ``name`` on the suite's server (its Unix socket or host)."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgresql://{quote(db['USER'], safe='')}{password}@{host}{port}/{name}"


def _run(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args[0]} failed: {result.stderr}"
    return result


@pytest.fixture
def restored_name() -> Iterator[str]:
    """The name of a database to restore into, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(
        [
            str(_pg_bin() / "dropdb"),
            "--if-exists",
            "--force",
            "--maintenance-db",
            _url("postgres"),
            name,
        ],
        capture_output=True,
        timeout=120,
    )


def fill_registry() -> None:
    """The real seed, and the registry's own records on top: accounts and their tokens,
    roles, requests through their states, a decision with votes, events and history."""
    load_seed()
    admin = make_user("admin", is_staff=True)
    alice, bob = make_user("alice"), make_user("bob")
    make_user("dormant", is_active=False)
    issue_token(user=alice, name="ci")
    issue_token(user=admin, name="backup", expires_days=30)
    xsdk = Community.objects.get(slug="xsdk")
    grant_role(user=bob, community=xsdk, role=CommunityRole.Role.LEAD, by=admin)

    petsc = Product.objects.get(slug="petsc")
    outsider = Product.objects.exclude(memberships__community=xsdk).order_by("slug").first()
    petsc.maintainers.add(alice)
    outsider.maintainers.add(alice)
    update_product(product=petsc, by=alice, summary="Solvers, restored intact.")
    m1 = Policy.objects.filter(policy_set__slug="xsdk", code="M1").order_by("-version").first()
    upsert_assessment(
        product=petsc, policy=m1, by=alice, status="partial", justification="Mostly — É ✓."
    )

    onramp = transitions.request_create(
        by=alice, kind="onramp", product=outsider, community=xsdk, rationale="Joining."
    )
    transitions.request_submit(request=onramp, by=alice)
    transitions.request_start_review(request=onramp, by=bob)
    for voter, represents in ((bob, Seat.Represents.LEAD), (alice, Seat.Represents.PRODUCT_TEAM)):
        Seat.objects.create(body=xsdk.governance, user=voter, represents=represents)
    decision = open_decision(community=xsdk, subject="Adopt the 1.1 policies", by=bob)
    cast_vote(decision=decision, by=bob, choice="yes")
    cast_vote(decision=decision, by=alice, choice="no", comment="Not yet — next spring.")
    transitions.request_reject(request=onramp, by=bob, rationale="Not yet.")
    draft = transitions.request_create(
        by=alice,
        kind="offramp",
        product=petsc,
        community=xsdk,
        reason="other",
        rationale="Testing the restore.",
    )
    transitions.request_withdraw(request=draft, by=alice)
    events.record(events.Verb.CATALOG_IMPORTED, actor=admin, data={"note": "ünïcode"})


def tables(cur) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [name for (name,) in cur.fetchall()]


def order_by(cur, table: str) -> str:
    """The table's primary key columns, else all its columns: a total order of its rows."""
    cur.execute(
        "SELECT a.attname FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
        [f'public."{table}"'],
    )
    columns = [name for (name,) in cur.fetchall()]
    if not columns:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        columns = [name for (name,) in cur.fetchall()]
    return ", ".join(f'"{c}"' for c in columns)


def rows(cur, table: str) -> list[tuple]:
    # Text form of each value: what COPY would write, exact for every type (json included).
    cur.execute(f'SELECT t::text FROM public."{table}" t ORDER BY {order_by(cur, table)}')
    return cur.fetchall()


def sequences(cur) -> dict[str, tuple]:
    cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
    return dict(cur.fetchall())


def test_a_pg_dump_restores_into_a_fresh_database_with_every_row_of_every_table(
    tmp_path, restored_name
):
    fill_registry()
    assert LifecycleRequest.objects.count() == 2 and Vote.objects.count() == 2
    assert Event.objects.exists()
    assert Assessment.history.exists() and Product.history.exists()
    source = _url(connection.settings_dict["NAME"])
    target = _url(restored_name)
    dump = tmp_path / "peso.dump"
    pg_bin = _pg_bin()

    # docs/operations.md, "Backups" and "Restore", command for command.
    _run(str(pg_bin / "pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", source)
    _run(str(pg_bin / "createdb"), "--maintenance-db", _url("postgres"), restored_name)
    _run(str(pg_bin / "pg_restore"), "--no-owner", f"--dbname={target}", str(dump))
    migrate = manage("migrate", env=deployer_env(DATABASE_URL=target))
    assert migrate.returncode == 0, migrate.stderr
    assert "No migrations to apply" in migrate.stdout

    theirs = psycopg2.connect(target)
    try:
        with connection.cursor() as mine, theirs.cursor() as restored:
            names = tables(mine)
            assert tables(restored) == names
            total = 0
            for table in names:
                expected = rows(mine, table)
                assert rows(restored, table) == expected, f"table {table} differs after restore"
                total += len(expected)
            assert sequences(restored) == sequences(mine)
    finally:
        theirs.close()
    assert len(names) > 30 and total > 1000, (len(names), total)
    print(f"compared {len(names)} tables, {total} rows")
