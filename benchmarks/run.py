#!/usr/bin/env python
"""Speed benchmark (DESIGN §9): a synthetic catalog at Spack scale, measured side by side.

    .venv/bin/python benchmarks/run.py [--products 10000] [--requests 50] [--workers 3]

One run, one table, in this order:

1. starts a throwaway PostgreSQL (as bin/test does: initdb in a temporary directory, Unix
   socket only, as the `postgres` user when root), migrates it and builds a deterministic
   synthetic catalog with COPY: 10,000 products, 50 spokes and a hub, 51 policy sets
   (every other one with the hub's set as its base, 20-30 policies each), ~200,000
   assessments, memberships (most products in 1-2 communities), dependencies, areas,
   maintainers, stakeholders, lifecycle requests and events;
2. serves the app with gunicorn (sync workers, DEBUG=0, collectstatic into a temporary
   STATIC_ROOT) on 127.0.0.1 and measures, per key endpoint and page: p50/p95 latency
   with a sequential client (after a warm-up), throughput with a bounded thread-pool load
   generator (a fixed number of requests, loopback only), and the SQL queries of one
   request (CaptureQueriesContext, in process);
3. exports the product tables to SQLite and serves them with Datasette (installed from
   PyPI into its own venv under /tmp, never into the project's) for the same page of 100
   products, measured the same way;
4. times the floor: one raw SQL query (psycopg2) for the same 100 products plus
   json.dumps, with and without the embedded lists our API returns;
5. prints the table, writes benchmarks/results/<date>.md and .json, and appends the
   slowest queries (with EXPLAIN ANALYZE) of the three slowest endpoints to the .md.

Everything it starts (PostgreSQL, gunicorn, Datasette) listens on loopback or a Unix
socket and is stopped and removed on exit. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import io
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
VENV_BIN = ROOT / ".venv" / "bin"
DATASETTE_VENV = Path("/tmp/peso-bench-datasette")
DATASETTE_VERSION = "0.65.5"
SEED = 20261130
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Throwaway PostgreSQL (the approach of bin/test) ----------------------------------


class Postgres:
    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="peso-bench-pg."))
        self.dir.chmod(0o755)
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.user = subprocess.run(
            [*self.run_as, "id", "-un"], check=True, capture_output=True, text=True
        ).stdout.strip()
        self.started = False

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        data = self.dir / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8"
        )
        options = (
            f"-c listen_addresses='' -k {self.dir} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=100 -c shared_buffers=256MB"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self.started = True
        self._run(str(self.bin / "createdb"), "-h", str(self.dir), "-U", self.user, "peso")
        host = urllib.parse.quote(str(self.dir), safe="")
        return f"postgres://{self.user}@{host}/peso"

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True
        )
        return out.stdout.strip()

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                [
                    *self.run_as,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.dir / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Synthetic catalog ----------------------------------------------------------------

WORDS_A = [
    "hypre",
    "petsc",
    "trilinos",
    "sundials",
    "super",
    "magma",
    "kokkos",
    "amrex",
    "mfem",
    "strumpack",
    "ginkgo",
    "slate",
    "heffte",
    "adios",
    "hdf",
    "visit",
    "paraview",
    "tau",
    "papi",
    "caliper",
    "umpire",
    "raja",
    "chai",
    "flux",
    "libceed",
    "pumi",
    "omega",
    "zoltan",
    "parmetis",
    "darshan",
]
WORDS_B = [
    "lu",
    "solve",
    "fft",
    "io",
    "mesh",
    "graph",
    "sparse",
    "dense",
    "linear",
    "ode",
    "tensor",
    "view",
    "trace",
    "prof",
    "comm",
    "mpi",
    "gpu",
    "blas",
    "lapack",
    "eigen",
    "fem",
    "amr",
    "particle",
    "cfd",
    "climate",
    "chem",
    "bio",
    "quant",
    "compress",
    "workflow",
]
ADJECTIVES = ("Scalable", "Parallel", "Portable", "Fast", "Adaptive", "Robust", "Exascale")
TOPICS = (
    "linear solvers",
    "nonlinear solvers",
    "ODE integrators",
    "adaptive mesh refinement",
    "parallel I/O",
    "performance analysis",
    "in situ visualization",
    "distributed FFTs",
    "eigenvalue solvers",
    "graph partitioning",
    "lossy data compression",
    "workflow management",
    "particle methods",
)
PLATFORMS = ("GPUs", "CPUs and GPUs", "exascale systems", "clusters", "laptops to supercomputers")
LICENSES = (
    ("BSD-3-Clause", 35),
    ("MIT", 15),
    ("Apache-2.0", 15),
    ("LGPL-2.1-only", 10),
    ("GPL-3.0-or-later", 5),
    ("MPL-2.0", 3),
    ("BSD-2-Clause", 7),
    ("LGPL-3.0-only", 5),
    ("", 5),
)
AREAS = [f"{t.title()}" for t in TOPICS] + [f"Keyword {k}" for k in range(47)]
VERBS = (
    "product_registered",
    "product_updated",
    "assessment_recorded",
    "dependencies_replaced",
    "request_submitted",
    "request_approved",
    "onramped",
    "offramped",
)


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, datetime.date | datetime.datetime):
        value = value.isoformat()
    else:
        value = str(value)
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_rows(cursor, model, rows: list[dict]) -> int:
    """COPY rows (dicts keyed by attname) into model's table; missing fields get their
    Python default (the database has none). On SQLite: one executemany."""
    if not rows:
        return 0
    from django.db import connection

    if connection.vendor == "sqlite":
        return insert_rows(cursor, model, rows)
    # An id left out is the database's to assign (identity column).
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])]
    defaults = {f.attname: f.get_default() for f in fields}
    buf = io.StringIO()
    for row in rows:
        buf.write(
            "\t".join(
                _copy_value(row[f.attname] if f.attname in row else defaults[f.attname])
                for f in fields
            )
        )
        buf.write("\n")
    buf.seek(0)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    cursor.copy_expert(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN', buf)
    return len(rows)


def insert_rows(cursor, model, rows: list[dict]) -> int:
    """SQLite's COPY: rows (dicts keyed by attname) through each field's own adaptation."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])]
    defaults = {f.attname: f.get_default() for f in fields}
    values = (
        tuple(
            f.get_db_prep_save(
                row[f.attname] if f.attname in row else defaults[f.attname], connection
            )
            for f in fields
        )
        for row in rows
    )
    columns = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join("?" * len(fields))
    cursor.executemany(f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})', values)
    return len(rows)


def build_catalog(n_products: int, seed: int) -> dict:
    """Create the synthetic catalog; returns the slugs the endpoints use and row counts."""
    from django.contrib.auth import get_user_model
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils.text import slugify

    from events.models import Event
    from lifecycle.models import LifecycleRequest
    from products.models import (
        Area,
        Assessment,
        Dependency,
        Membership,
        Product,
        ProductUse,
        Stakeholder,
    )
    from spokes.models import Community, CommunityRole, Policy, PolicySet

    rng = random.Random(seed)
    user_model = get_user_model()
    now = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
    today = datetime.date(2026, 11, 30)

    def when(days: int = 730) -> datetime.datetime:
        return now - datetime.timedelta(seconds=rng.randrange(days * 86400))

    # Users: maintainers and community leads.
    n_users = max(100, n_products // 6)
    user_model.objects.bulk_create(
        [
            user_model(username=f"user{u:05d}", password="!", email=f"user{u:05d}@example.org")
            for u in range(n_users)
        ],
        batch_size=2000,
    )
    user_ids = list(user_model.objects.order_by("pk").values_list("pk", flat=True))

    # Policy sets: the hub's (E4S-like, 20 policies) and one per spoke, every other one
    # built on the hub's and adapting three of its policies.
    e4s = PolicySet.objects.create(slug="e4s", name="E4S community policies", version="1.0")
    e4s_policies = Policy.objects.bulk_create(
        [
            Policy(
                policy_set=e4s,
                version="1.0",
                code=f"P{k}",
                title=f"Hub policy {k}",
                summary="Synthetic hub policy.",
                level="mandatory" if k <= 14 else "recommended",
                position=k,
            )
            for k in range(1, 21)
        ]
    )
    hub = Community.objects.create(
        slug="hub", name="Hub", kind="hub", policy_set=e4s, summary="The hub."
    )
    PolicySet.objects.filter(pk=e4s.pk).update(owner=hub)

    n_spokes = 50
    communities: list = []
    sets: list = []
    for c in range(n_spokes):
        topic = TOPICS[c % len(TOPICS)]
        community = Community.objects.create(
            slug=f"spoke-{c:02d}",
            name=f"Spoke {c:02d} ({topic})",
            kind="spoke",
            summary=f"A synthetic spoke for {topic}.",
            area=topic,
        )
        base = e4s if c % 2 == 0 else None
        ps = PolicySet.objects.create(
            slug=f"set-{c:02d}",
            name=f"Policies of spoke {c:02d}",
            version="2.0",
            owner=community,
            base=base,
        )
        own = rng.randint(20, 30)
        adapted = rng.sample(e4s_policies, 3) if base else []
        Policy.objects.bulk_create(
            [
                Policy(
                    policy_set=ps,
                    version="2.0",
                    code=f"S{k}",
                    title=f"Spoke {c:02d} policy {k}",
                    summary="Synthetic spoke policy.",
                    level="mandatory" if rng.random() < 0.7 else "recommended",
                    position=k,
                    adapts=adapted[k - 1] if k <= len(adapted) else None,
                )
                for k in range(1, own + 1)
            ]
        )
        # An older version of the set, never in force: its policies must be ignored.
        Policy.objects.bulk_create(
            [
                Policy(policy_set=ps, version="1.0", code=f"S{k}", title="Old", position=k)
                for k in range(1, 6)
            ]
        )
        community.policy_set = ps
        community.save(update_fields=["policy_set"])
        communities.append(community)
        sets.append(ps)
    CommunityRole.objects.bulk_create(
        [
            CommunityRole(user_id=user_ids[i], community=c, role="lead")
            for i, c in enumerate([hub, *communities])
        ]
    )
    effective = {ps.pk: ps.effective_policies() for ps in [e4s, *sets]}
    community_set = {c.pk: c.policy_set_id for c in [hub, *communities]}

    areas = Area.objects.bulk_create([Area(slug=slugify(a), name=a) for a in AREAS])
    stakeholders = Stakeholder.objects.bulk_create(
        [
            Stakeholder(
                slug=f"stakeholder-{s:02d}",
                name=f"Stakeholder {s:02d}",
                kind=("facility", "application", "vendor", "agency")[s % 4],
            )
            for s in range(40)
        ]
    )

    # Products and everything hanging off them.
    license_values = [v for v, _ in LICENSES]
    license_weights = [w for _, w in LICENSES]
    community_weights = [1 / (rank + 1) ** 0.5 for rank in range(n_spokes)]
    products, product_areas, maintainers, memberships, dependencies = [], [], [], [], []
    assessments, uses, requests, events = [], [], [], []
    membership_counts = dict.fromkeys([c.pk for c in communities], 0)
    for i in range(n_products):
        pk = i + 1
        a, b = rng.choice(WORDS_A), rng.choice(WORDS_B)
        slug = f"{a}-{b}-{i:05d}"
        topic = rng.choice(TOPICS)
        created = when()
        products.append(
            {
                "id": pk,
                "slug": slug,
                "name": f"{a.title()} {b.upper()} {i}",
                "summary": f"{rng.choice(ADJECTIVES)} library for {topic} on "
                f"{rng.choice(PLATFORMS)}.",
                "description": f"{a.title()}-{b} provides {topic} for scientific applications. "
                "It is developed in the open, tested nightly on leadership-class systems, "
                "and distributed with Spack and E4S.",
                "homepage": f"https://example.org/{slug}",
                "repository_url": f"https://github.com/example/{slug}",
                "license": rng.choices(license_values, license_weights)[0],
                "spack_package": slug,
                "facts": {"spack_versions": ["1.0", "1.1", "2.0"][: rng.randint(1, 3)]},
                "created_at": created,
                "updated_at": created + datetime.timedelta(days=rng.randrange(200)),
            }
        )
        for area in rng.sample(areas, rng.randint(1, 3)):
            product_areas.append({"product_id": pk, "area_id": area.pk})
        for u in rng.sample(user_ids, rng.randint(1, 2)):
            maintainers.append({"product_id": pk, "user_id": u})
        n_memberships = rng.choices((0, 1, 2, 3), (5, 55, 30, 10))[0]
        joined: list[int] = []
        while len(joined) < n_memberships:
            c = rng.choices(range(n_spokes), community_weights)[0]
            if c not in joined:
                joined.append(c)
        product_sets = []
        for c in joined:
            community = communities[c]
            offramped = rng.random() < 0.07
            memberships.append(
                {
                    "product_id": pk,
                    "community_id": community.pk,
                    "state": "offramped" if offramped else "active",
                    "joined_at": (created + datetime.timedelta(days=10)).date(),
                    "left_at": today - datetime.timedelta(days=30) if offramped else None,
                    "end_of_support": (
                        today + datetime.timedelta(days=rng.choice((-90, 180)))
                        if offramped
                        else None
                    ),
                    "reason": "unmaintained" if offramped else "",
                }
            )
            if not offramped:
                membership_counts[community.pk] += 1
            product_sets.append(community_set[community.pk])
        # Assessments against every effective policy of the product's sets (deduplicated:
        # two sets built on the hub's share its policies).
        profile = rng.random()
        seen: set[int] = set()
        for set_pk in product_sets:
            for policy in effective[set_pk]:
                if policy.pk in seen:
                    continue
                seen.add(policy.pk)
                if profile < 0.25:  # exemplary: every mandatory policy satisfied
                    if policy.level == "mandatory":
                        status = "na" if rng.random() < 0.1 else "full"
                    elif rng.random() < 0.5:
                        status = rng.choice(("full", "partial", "none"))
                    else:
                        continue
                elif profile < 0.55:  # working on it
                    if rng.random() > 0.6:
                        continue
                    status = rng.choices(("full", "partial", "na", "none"), (60, 25, 5, 10))[0]
                elif rng.random() < 0.15:  # barely assessed
                    status = rng.choices(("full", "partial", "none"), (50, 30, 20))[0]
                else:
                    continue
                assessments.append(
                    {
                        "product_id": pk,
                        "policy_id": policy.pk,
                        "status": status,
                        "justification": (
                            "Synthetic justification." if status in ("partial", "na") else ""
                        ),
                        "evidence_url": f"https://example.org/{slug}/evidence",
                        "source": "self",
                        "assessed_at": when(),
                    }
                )
        if i:
            targets = {rng.randrange(i) + 1 for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 5, 6)))}
            for t in sorted(targets):
                dependencies.append(
                    {"product_id": pk, "depends_on_id": t, "kind": "required", "source": "spack"}
                )
        if rng.random() < 0.2:
            for s in rng.sample(stakeholders, rng.randint(1, 2)):
                uses.append(
                    {
                        "product_id": pk,
                        "stakeholder_id": s.pk,
                        "note": "Synthetic use.",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
        events.append({"verb": "product_registered", "product_id": pk, "created_at": created})
    for n in range(max(30, n_products // 30)):
        state = rng.choice(("draft", "submitted", "in_review", "approved", "rejected"))
        created = when(365)
        requests.append(
            {
                "id": n + 1,
                "kind": rng.choice(("onramp", "offramp")),
                "product_id": rng.randrange(n_products) + 1,
                "community_id": rng.choice(communities).pk,
                "requested_by_id": rng.choice(user_ids),
                "state": state,
                "rationale": "Synthetic request.",
                "created_at": created,
                "updated_at": created,
            }
        )
    for _ in range(n_products):
        events.append(
            {
                "verb": rng.choice(VERBS),
                "actor_id": rng.choice(user_ids),
                "product_id": rng.randrange(n_products) + 1,
                "community_id": rng.choice(communities).pk,
                "request_id": rng.choice(requests)["id"] if rng.random() < 0.1 else None,
                "data": {"note": "synthetic"},
                "created_at": when(),
            }
        )
    for k, row in enumerate(assessments):
        row["id"] = k + 1

    through_areas = Product.areas.through
    through_maintainers = Product.maintainers.through
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        counts = {
            "products": copy_rows(cursor, Product, products),
            "product_areas": copy_rows(cursor, through_areas, product_areas),
            "product_maintainers": copy_rows(cursor, through_maintainers, maintainers),
            "memberships": copy_rows(cursor, Membership, memberships),
            "dependencies": copy_rows(cursor, Dependency, dependencies),
            "product_uses": copy_rows(cursor, ProductUse, uses),
            "lifecycle_requests": copy_rows(cursor, LifecycleRequest, requests),
            "assessments": copy_rows(cursor, Assessment, assessments),
            "events": copy_rows(cursor, Event, events),
        }
        models = [
            Product,
            through_areas,
            through_maintainers,
            Membership,
            Dependency,
            ProductUse,
            LifecycleRequest,
            Assessment,
            Event,
        ]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            wrapper.execute(sql)
        wrapper.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    counts.update(
        users=len(user_ids),
        communities=len(communities) + 1,
        policy_sets=len(sets) + 1,
        policies=Policy.objects.count(),
        areas=len(areas),
        stakeholders=len(stakeholders),
    )

    # The rows the endpoints ask for: the largest spoke (its set has a base), and a member
    # of it with two or more communities, dependencies and dependents.
    largest = max(communities, key=lambda c: membership_counts[c.pk])
    members = {m["product_id"] for m in memberships if m["community_id"] == largest.pk}
    per_product = {}
    for m in memberships:
        per_product[m["product_id"]] = per_product.get(m["product_id"], 0) + 1
    n_deps, n_dependents = {}, {}
    for d in dependencies:
        n_deps[d["product_id"]] = n_deps.get(d["product_id"], 0) + 1
        n_dependents[d["depends_on_id"]] = n_dependents.get(d["depends_on_id"], 0) + 1
    chosen = next(
        (
            p
            for p in products
            if p["id"] in members
            and per_product.get(p["id"], 0) >= 2
            and n_deps.get(p["id"], 0) >= 3
            and n_dependents.get(p["id"], 0) >= 1
        ),
        next(p for p in products if p["id"] in members),
    )
    return {
        "counts": counts,
        "community": largest.slug,
        "community_members": membership_counts[largest.pk],
        "policy_set": largest.policy_set.slug,
        "product": chosen["slug"],
    }


# --- HTTP measurement -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", path, headers={"Accept": "*/*"})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def wait_for(port: int, path: str, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if fetch(port, path)[0] == 200:
                return
        time.sleep(0.3)
    sys.exit(f"{what} did not answer on 127.0.0.1:{port}{path}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def time_calls(call, requests: int, budget_s: float, warmup: int = 5) -> dict:
    """Sequential timings (ms) of `call` after up to `warmup` warm-up calls; fewer than
    `requests` (at least 3) when the warm-up says they would not fit in `budget_s`."""
    warm: list[float] = []
    for _ in range(warmup):
        t0 = time.perf_counter()
        call()
        warm.append(time.perf_counter() - t0)
        if sum(warm) > budget_s / 10:
            break  # a slow endpoint: its caches are as warm as they get
    per = statistics.median(warm)
    n = requests if per * requests <= budget_s else max(3, int(budget_s / max(per, 1e-6)))
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return {
        "n": n,
        "p50_ms": round(pct(samples, 0.5), 2),
        "p95_ms": round(pct(samples, 0.95), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def throughput(port: int, path: str, concurrency: int, total: int, max_s: float) -> dict:
    """A fixed number of requests from `concurrency` threads on loopback; stops early
    (and says so) once `max_s` seconds have passed."""
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "errors": 0}
    deadline = time.monotonic() + max_s

    def worker() -> None:
        while True:
            with lock:
                if state["next"] >= total or time.monotonic() > deadline:
                    return
                state["next"] += 1
            try:
                status, _ = fetch(port, path)
            except OSError:
                status = 0
            with lock:
                state["done"] += 1
                if status != 200:
                    state["errors"] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    elapsed = time.perf_counter() - t0
    return {
        "requests": state["done"],
        "errors": state["errors"],
        "seconds": round(elapsed, 2),
        "rps": round(state["done"] / elapsed, 3),
    }


# --- Datasette and the floor ----------------------------------------------------------

EXPORT_TABLES = (
    "products_product",
    "products_area",
    "products_product_areas",
    "products_membership",
    "products_dependency",
    "spokes_community",
)


def export_sqlite(db_cursor, path: Path) -> None:
    """The product tables of the app's database (PostgreSQL or SQLite), into a new SQLite
    file for Datasette."""
    db = sqlite3.connect(path)
    for table in EXPORT_TABLES:
        db_cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')
        columns = [d[0] for d in db_cursor.description]
        rows = [
            tuple(
                json.dumps(v)
                if isinstance(v, dict | list)
                else v.isoformat()
                if isinstance(v, datetime.date | datetime.datetime)
                else v
                for v in row
            )
            for row in db_cursor.fetchall()
        ]
        cols = ", ".join(f'"{c}"' + (" INTEGER PRIMARY KEY" if c == "id" else "") for c in columns)
        db.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" * len(columns))
        db.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    db.execute('CREATE INDEX product_name_idx ON "products_product" (name)')
    db.execute('CREATE UNIQUE INDEX product_slug_idx ON "products_product" (slug)')
    db.commit()
    db.execute("ANALYZE")
    db.close()


def ensure_datasette() -> Path | None:
    exe = DATASETTE_VENV / "bin" / "datasette"
    if exe.exists():
        return exe
    log(f"installing datasette {DATASETTE_VERSION} into {DATASETTE_VENV} (separate venv)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [
                str(DATASETTE_VENV / "bin" / "pip"),
                "install",
                "-q",
                f"datasette=={DATASETTE_VERSION}",
            ],
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        log(f"datasette could not be installed ({exc}); its rows are left out")
        return None
    return exe


PRODUCT_COLUMNS = (
    "id, slug, name, summary, description, homepage, repository_url, documentation_url, "
    "license, spack_package, contact_email, facts, created_at, updated_at"
)
FLOOR_SQL = f"SELECT {PRODUCT_COLUMNS} FROM products_product ORDER BY name, id LIMIT 100"
# The same page with the lists our API embeds (areas, memberships, dependencies,
# dependents), still one query: what a hand-written endpoint could do at best.
FLOOR_EMBEDDED_SQL = f"""
SELECT p.id, p.slug, p.name, p.summary, p.description, p.homepage, p.repository_url,
       p.documentation_url, p.license, p.spack_package, p.contact_email, p.facts,
       p.created_at, p.updated_at,
       ARRAY(SELECT a.name FROM products_product_areas pa JOIN products_area a
             ON a.id = pa.area_id WHERE pa.product_id = p.id ORDER BY a.name) AS areas,
       (SELECT coalesce(json_agg(json_build_object('community', c.slug, 'state', m.state,
               'joined_at', m.joined_at, 'left_at', m.left_at,
               'end_of_support', m.end_of_support) ORDER BY c.name), '[]')
          FROM products_membership m JOIN spokes_community c ON c.id = m.community_id
         WHERE m.product_id = p.id) AS memberships,
       ARRAY(SELECT d.slug FROM products_dependency x JOIN products_product d
             ON d.id = x.depends_on_id WHERE x.product_id = p.id ORDER BY d.slug)
         AS dependencies,
       ARRAY(SELECT d.slug FROM products_dependency x JOIN products_product d
             ON d.id = x.product_id WHERE x.depends_on_id = p.id ORDER BY d.slug) AS dependents
  FROM (SELECT {PRODUCT_COLUMNS} FROM products_product ORDER BY name, id LIMIT 100) p
 ORDER BY p.name, p.id
"""


# The same on SQLite (json_group_array for the lists; read back with json.loads, as
# psycopg2 reads PostgreSQL's arrays and json).
FLOOR_EMBEDDED_SQLITE = f"""
SELECT p.id, p.slug, p.name, p.summary, p.description, p.homepage, p.repository_url,
       p.documentation_url, p.license, p.spack_package, p.contact_email, p.facts,
       p.created_at, p.updated_at,
       (SELECT json_group_array(name) FROM (SELECT a.name FROM products_product_areas pa
          JOIN products_area a ON a.id = pa.area_id WHERE pa.product_id = p.id
          ORDER BY a.name)) AS areas,
       (SELECT json_group_array(json_object('community', slug, 'state', state,
               'joined_at', joined_at, 'left_at', left_at, 'end_of_support', end_of_support))
          FROM (SELECT c.slug, m.state, m.joined_at, m.left_at, m.end_of_support
                  FROM products_membership m JOIN spokes_community c
                    ON c.id = m.community_id
                 WHERE m.product_id = p.id ORDER BY c.name)) AS memberships,
       (SELECT json_group_array(slug) FROM (SELECT d.slug FROM products_dependency x
          JOIN products_product d ON d.id = x.depends_on_id WHERE x.product_id = p.id
          ORDER BY d.slug)) AS dependencies,
       (SELECT json_group_array(slug) FROM (SELECT d.slug FROM products_dependency x
          JOIN products_product d ON d.id = x.product_id WHERE x.depends_on_id = p.id
          ORDER BY d.slug)) AS dependents
  FROM (SELECT {PRODUCT_COLUMNS} FROM products_product ORDER BY name, id LIMIT 100) p
 ORDER BY p.name, p.id
"""
JSON_COLUMNS = ("facts", "areas", "memberships", "dependencies", "dependents")


def floor_queries(vendor: str) -> tuple[tuple[str, str], ...]:
    embedded = FLOOR_EMBEDDED_SQL if vendor == "postgresql" else FLOOR_EMBEDDED_SQLITE
    return (
        ("Floor: raw SQL + json.dumps (100 products)", FLOOR_SQL),
        ("Floor: same + embedded lists, one SQL", embedded),
    )


def floor_call(db_cursor, sql: str):
    """One query and json.dumps, through the driver's own cursor (psycopg2 or sqlite3)."""
    parse = isinstance(db_cursor, sqlite3.Cursor)

    def call() -> bytes:
        db_cursor.execute(sql)
        names = [d[0] for d in db_cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in db_cursor.fetchall()]
        if parse:  # SQLite gives JSON as text
            for row in rows:
                for name in JSON_COLUMNS:
                    if isinstance(row.get(name), str):
                        row[name] = json.loads(row[name])
        return json.dumps({"count": len(rows), "results": rows}, default=str).encode()

    return call


# --- In-process evidence: SQL per request, EXPLAIN ANALYZE ----------------------------


def capture_queries(path: str, warm: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if warm:
        client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
    queries = [{"sql": q["sql"], "ms": float(q["time"]) * 1000} for q in ctx.captured_queries]
    return {
        "status": response.status_code,
        "queries": queries,
        "sql_ms": round(sum(q["ms"] for q in queries), 1),
        "total_ms": round(elapsed, 1),
    }


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL; EXPLAIN QUERY PLAN on SQLite."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    try:
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                lines = [shorten(row[0], 400) for row in cursor.fetchall()]
            else:
                cursor.cursor.execute("EXPLAIN QUERY PLAN " + sql)
                lines = [shorten(f"{row[0]} {row[1]} {row[-1]}", 400) for row in cursor.fetchall()]
    except Exception as exc:  # a query Django logged with its parameters inlined
        return f"(no plan: {exc})"
    if len(lines) > 300:  # the catalog's facet plan has thousands
        lines = [*lines[:300], f"… {len(lines) - 300} more plan lines"]
    return "\n".join(lines)


def shorten(sql: str, limit: int = 1500) -> str:
    return sql if len(sql) <= limit else sql[:limit] + f" … [{len(sql) - limit} more characters]"


# --- Main -----------------------------------------------------------------------------


def git_commit() -> str:
    """HEAD, with "+uncommitted" when the work tree differs from it (read-only git)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return head + ("+uncommitted" if git("status", "--porcelain", "--untracked-files=no") else "")


def endpoints(ctx: dict) -> list[tuple[str, str]]:
    p, c, s = ctx["product"], ctx["community"], ctx["policy_set"]
    return [
        ("API product list (100)", "/api/v1/products/?page_size=100"),
        (
            "API products in community, compliant",
            f"/api/v1/products/?community={c}&compliance=compliant",
        ),
        ("API products q=solver", "/api/v1/products/?q=solver"),
        ("API product detail", f"/api/v1/products/{p}/"),
        ("API product compliance", f"/api/v1/products/{p}/compliance/?policy_set={s}"),
        ("API assessments of a product", f"/api/v1/assessments/?product={p}"),
        ("API events", "/api/v1/events/"),
        ("Catalog page (facets)", "/products/"),
        ("Catalog q + community", f"/products/?q=solver&community={c}"),
        ("Product page", f"/products/{p}/"),
        ("Community page (heatmap)", f"/communities/{c}/"),
        ("Home", "/"),
        ("Badge", f"/products/{p}/badge.svg"),
    ]


def rps(tp: dict | None) -> str:
    if not tp:
        return "-"
    value = tp["requests"] / tp["seconds"]
    return f"{value:.1f}" if value >= 10 else f"{value:.2g}"


def ratio(value: float, base: float | None) -> str:
    return f"{value / base:.1f}" if base else "-"


def render_table(rows: list[dict]) -> str:
    """The results table; "x floor" is p50 over the floor with embedded lists (closest to
    our payload), "x Datasette" p50 over Datasette's table page, both from the same run."""
    floor = next((r["p50_ms"] for r in rows if r["name"].startswith("Floor: same")), None)
    datasette = next((r["p50_ms"] for r in rows if r["kind"] == "datasette"), None)
    head = (
        "| endpoint | path | n | p50 ms | p95 ms | x floor | x Datasette | req/s "
        "| SQL queries | KB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        tp = r.get("throughput")
        compared = r["kind"] != "floor"
        lines.append(
            f"| {r['name']} | `{r['path']}` | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {ratio(r['p50_ms'], floor) if compared else '-'} "
            f"| {ratio(r['p50_ms'], datasette) if r['kind'] == 'app' else '-'} "
            f"| {rps(tp)} | {r.get('query_count', '-')} "
            f"| {r['kb'] if r.get('kb') is not None else '-'} |"
        )
    return head + "\n".join(lines) + "\n"


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident memory) of a live process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def children(pid: int) -> list[int]:
    """The child processes of pid (gunicorn's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces; the fields after its ")" do not.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres", "both"),
        default="both",
        help="both: one run per database, one after the other (each its own process)",
    )
    parser.add_argument("--label", default="", help="added to the results' file names")
    parser.add_argument("--note", default="", help="a sentence for the report (the machine...)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="sequential, per endpoint")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (2-4)")
    parser.add_argument("--concurrency", type=int, default=8, help="load-generator threads")
    parser.add_argument("--load-requests", type=int, default=300, help="per endpoint")
    parser.add_argument("--load-seconds", type=float, default=10, help="cap per endpoint")
    parser.add_argument("--budget", type=float, default=30, help="sequential seconds cap")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument("--render", metavar="JSON", help="only re-render a results .md")
    args = parser.parse_args()
    if args.render:
        path = Path(args.render)
        path.with_suffix(".md").write_text(render_markdown(json.loads(path.read_text())))
        return
    if args.db == "both":
        # Django reads its database once per process: one process per database.
        for db in ("postgres", "sqlite"):
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--db", db], check=True)
        return
    run(args)


def run(args) -> None:
    started = time.monotonic()
    pg = Postgres() if args.db == "postgres" else None
    tmp = Path(tempfile.mkdtemp(prefix="peso-bench."))
    procs: list[subprocess.Popen] = []
    try:
        if pg:
            url = pg.start()
            log(f"PostgreSQL started in {pg.dir}")
        else:
            url = f"sqlite:///{tmp / 'peso.sqlite3'}"
            log(f"SQLite database {tmp / 'peso.sqlite3'}")
        os.environ.update(
            DATABASE_URL=url,
            DEBUG="0",
            SECRET_KEY="benchmark-secret-key-not-for-production-0123456789abcdef",
            STATIC_ROOT=str(tmp / "static"),
            API_ANON_RATE="100000000/min",
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            LOG_LEVEL="ERROR",
            DJANGO_SETTINGS_MODULE="peso_registry.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command, get_commands
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        log("migrated, static files collected; building the catalog")
        t0 = time.perf_counter()
        ctx = build_catalog(args.products, args.seed)
        build_s = time.perf_counter() - t0
        log(f"catalog built in {build_s:.1f} s: {ctx['counts']}")
        # The rows were copied in around the application: fill the compliance read model
        # the app reads (every write through the app keeps it by itself).
        if "refresh_compliance" in get_commands():
            t0 = time.perf_counter()
            call_command("refresh_compliance", verbosity=0)
            log(f"compliance read model filled in {time.perf_counter() - t0:.1f} s")
        log(
            f"largest spoke {ctx['community']} ({ctx['community_members']} active members, "
            f"set {ctx['policy_set']}); product {ctx['product']}"
        )
        connection.close()

        port = free_port()
        env = dict(os.environ)
        gunicorn = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "peso_registry.wsgi",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        procs.append(gunicorn)
        wait_for(port, "/healthz", gunicorn, "gunicorn")
        log(f"gunicorn ({args.workers} sync workers) on 127.0.0.1:{port}")

        rows: list[dict] = []
        for name, path in endpoints(ctx):
            status, size = fetch(port, path)  # also the first warm-up request
            if status != 200:
                sys.exit(f"{path} answered {status}")
            timing = time_calls(lambda path=path: fetch(port, path), args.requests, args.budget)
            rows.append(
                {"name": name, "path": path, "kind": "app", "kb": round(size / 1024, 1), **timing}
            )
            log(f"{name}: p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms (n={timing['n']})")

        # Datasette over the same data in SQLite.
        if not args.no_datasette and (exe := ensure_datasette()):
            sqlite_path = tmp / "peso.db"
            with connection.cursor() as cursor:
                export_sqlite(cursor.cursor, sqlite_path)
            dport = free_port()
            datasette = subprocess.Popen(
                [
                    str(exe),
                    "serve",
                    "-i",
                    str(sqlite_path),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(dport),
                    "--setting",
                    "suggest_facets",
                    "off",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(datasette)
            dpath = "/peso/products_product.json?_size=100&_sort=name&_shape=objects"
            wait_for(dport, dpath, datasette, "datasette")
            size = fetch(dport, dpath)[1]
            timing = time_calls(lambda: fetch(dport, dpath), args.requests, args.budget)
            rows.append(
                {
                    "name": "Datasette: products table JSON (100)",
                    "path": dpath,
                    "kind": "datasette",
                    "port": dport,
                    "kb": round(size / 1024, 1),
                    **timing,
                }
            )
            log(f"datasette: p50 {timing['p50_ms']} ms")

        # The floor: the raw SQL and json.dumps, in process (no HTTP, no framework).
        with connection.cursor() as cursor:
            for name, sql in floor_queries(connection.vendor):
                call = floor_call(cursor.cursor, sql)
                size = len(call())
                timing = time_calls(call, args.requests, args.budget)
                rows.append(
                    {
                        "name": name,
                        "path": "(in process)",
                        "kind": "floor",
                        "kb": round(size / 1024, 1),
                        "query_count": 1,
                        **timing,
                    }
                )
                log(f"{name}: p50 {timing['p50_ms']} ms")

        # Throughput under load (bounded: fixed count, time cap, loopback).
        for row in rows:
            if row["kind"] == "floor":
                continue
            target = row.get("port", port)
            servers = 1 if row["kind"] == "datasette" else args.workers
            # About --load-seconds of work, and at least one request per server process
            # (a pathologically slow endpoint gets one concurrent round).
            # (the client, the servers and PostgreSQL share the machine's cores).
            parallel = min(servers, os.cpu_count() or 1)
            total = int(
                min(
                    args.load_requests,
                    max(servers, args.load_seconds * parallel * 1000 / max(row["p50_ms"], 0.1)),
                )
            )
            row["throughput"] = throughput(
                target, row["path"], min(args.concurrency, total), total, args.load_seconds * 1.5
            )
            log(f"{row['name']}: {row['throughput']['rps']} req/s ({row['throughput']})")

        # Peak resident memory of each app worker over the whole run (and of Datasette).
        workers = children(gunicorn.pid)
        worker_rss = [peak_rss_mb(pid) for pid in workers]
        datasette_rss = peak_rss_mb(procs[1].pid) if len(procs) > 1 else None
        log(f"gunicorn workers' peak RSS (MB): {worker_rss}; datasette: {datasette_rss}")

        # SQL per request, in process; EXPLAIN ANALYZE of the three slowest endpoints.
        for row in rows:
            if row["kind"] != "app":
                continue
            captured = capture_queries(row["path"], warm=row["p50_ms"] < 1000)
            row["query_count"] = len(captured["queries"])
            row["inprocess_ms"] = captured["total_ms"]
            row["sql_ms"] = captured["sql_ms"]
            row["_queries"] = captured["queries"]
        slowest = sorted((r for r in rows if r["kind"] == "app"), key=lambda r: -r["p50_ms"])[:3]
        evidence = []
        for row in slowest:
            top = sorted(row["_queries"], key=lambda q: -q["ms"])[:3]
            evidence.append(
                {
                    "name": row["name"],
                    "path": row["path"],
                    "p50_ms": row["p50_ms"],
                    "inprocess_ms": row["inprocess_ms"],
                    "sql_ms": row["sql_ms"],
                    "query_count": row["query_count"],
                    "top_queries": [
                        {
                            "ms": round(q["ms"], 1),
                            "sql": shorten(q["sql"]),
                            "plan": explain(q["sql"]),
                        }
                        for q in top
                    ],
                }
            )
        for row in rows:
            row.pop("_queries", None)
            row.pop("port", None)

        meta = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
            "python": platform.python_version(),
            "db": args.db,
            "note": args.note,
            "database": pg.version() if pg else f"SQLite {sqlite3.sqlite_version}",
            "worker_peak_rss_mb": worker_rss,
            "gunicorn_master_peak_rss_mb": peak_rss_mb(gunicorn.pid),
            "datasette_peak_rss_mb": datasette_rss,
            "gunicorn_workers": args.workers,
            "load_concurrency": args.concurrency,
            "catalog_build_s": round(build_s, 1),
            "wall_s": round(time.monotonic() - started, 1),
            **ctx,
        }
        print("\n" + render_table(rows))
        write_results(args, meta, rows, evidence)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


PLAN_LINES = 60


def write_results(args, meta: dict, rows: list[dict], evidence: list[dict]) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = datetime.date.today().isoformat()
    if args.label:
        stem += f"-{args.label}"
    if args.products != 10_000:
        stem += f"-{args.products}p"
    stem += f"-{args.db}"
    options = {
        "products": args.products,
        "requests": args.requests,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "load_requests": args.load_requests,
        "load_seconds": args.load_seconds,
        "budget": args.budget,
    }
    meta = {**meta, "products": args.products, "options": options}
    data = {"meta": meta, "rows": rows, "slowest": evidence}
    json_path = RESULTS / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    json_path.with_suffix(".md").write_text(render_markdown(data))
    log(f"results written to {RESULTS / stem}.md and .json")


def render_markdown(data: dict) -> str:
    """The .md report from the .json one (also: run.py --render results/<date>.json)."""
    meta, rows, evidence = data["meta"], data["rows"], data["slowest"]
    counts = ", ".join(f"{k} {v:,}" for k, v in meta["counts"].items())
    products = meta.get("products", meta["counts"]["products"])
    command = f"benchmarks/run.py --products {products}"
    if "options" in meta:
        defaults = {"requests": 50, "workers": 3, "concurrency": 8, "load_requests": 300}
        defaults |= {"load_seconds": 10, "budget": 30}
        for key, value in meta["options"].items():
            if key != "products" and value != defaults[key]:
                command += f" --{key.replace('_', '-')} {value:g}"
        command += f" --db {meta['db']}"
    database = meta.get("database") or meta["postgresql"]
    md = [
        f"# Speed benchmark, {meta['date']} (commit {meta['commit']})",
        "",
        f"`{command}` on {meta['machine']}; Python {meta['python']}; {database}.",
        "",
        *([meta["note"], ""] if meta.get("note") else []),
        f"Catalog (built in {meta['catalog_build_s']} s): {counts}. Largest spoke "
        f"`{meta['community']}` ({meta['community_members']} active members, set "
        f"`{meta['policy_set']}`); product `{meta['product']}`.",
        "",
        "p50/p95: sequential client over HTTP (new connection per request) after up to 5 "
        "warm-up requests, n requests each. req/s: "
        f"{meta['load_concurrency']} client threads, fixed request count, against gunicorn "
        f"with {meta['gunicorn_workers']} sync workers (DEBUG=0), or Datasette (one "
        "process), on the same cores as PostgreSQL and the client. SQL queries: one "
        "request in process (CaptureQueriesContext). Floor rows: in process, no HTTP.",
        "",
        render_table(rows),
    ]
    if meta.get("worker_peak_rss_mb") is not None:
        md += [
            "Peak resident memory (VmHWM) over the run: gunicorn workers "
            f"{', '.join(f'{v:g}' for v in meta['worker_peak_rss_mb'] if v)} MB (master "
            f"{meta['gunicorn_master_peak_rss_mb']} MB); Datasette "
            f"{meta['datasette_peak_rss_mb'] or '-'} MB.",
            "",
        ]
    md += [
        "## The three slowest, with their slowest queries",
        "",
    ]
    for item in evidence:
        md += [
            f"### {item['name']} — `{item['path']}`",
            "",
            f"p50 {item['p50_ms']} ms over HTTP; in process {item['inprocess_ms']} ms of which "
            f"{item['sql_ms']} ms in {item['query_count']} SQL queries.",
            "",
        ]
        for q in item["top_queries"]:
            plan = q["plan"].splitlines()
            if len(plan) > PLAN_LINES:
                cut = len(plan) - PLAN_LINES
                plan = [*plan[:PLAN_LINES], f"… {cut} more lines in the .json"]
            md += [f"{q['ms']} ms:", "", "```sql", q["sql"], "```", "", "```", *plan, "```", ""]
    md.append(f"Wall time of the whole run: {meta['wall_s']} s.")
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    main()
