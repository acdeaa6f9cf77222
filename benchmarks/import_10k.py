#!/usr/bin/env python
"""Time and peak memory of importing one catalog file of 10,000 products, on SQLite and
on PostgreSQL, in one command.

    .venv/bin/python benchmarks/import_10k.py [--db sqlite|postgres|both] [--products 10000]
        [--format yaml|json] [--assessments 10] [--dependencies 3] [--postgres-url URL]

The file has the shape of issue 14's target: per product, 1.5 memberships (every other
product is in two communities), ``--dependencies`` dependencies and ``--assessments``
assessments — 10,000 products, 15,000 memberships, 30,000 dependencies and 100,000
assessments by default.

The parent writes the file once; each database is then measured in its own child
process, so each peak resident memory (VmHWM) is that import's alone: SQLite in a file in
a temporary directory, PostgreSQL in a throwaway server started as ``benchmarks/run.py``
does (or, with ``--postgres-url``, a throwaway test database created on that server, so it
never touches real data). Each child reports parse + validate time, import time (first
run: everything created), their total (wall time) and the CPU time the process spent on
them (the PostgreSQL server's own is not in it), re-import time (everything unchanged),
the row counts, and the process's peak RSS. The parent prints one table.

Not part of the test suite: the suite imports 1,000 products to check correctness.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMUNITIES = 50
POLICIES = 20
STATUSES = ("full", "none", "partial", "na")


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM on Linux (ru_maxrss there also counts
    the parent's peak, kept across fork and exec), else ru_maxrss."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    # Linux reports kilobytes; macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def cpu_s() -> float:
    """CPU seconds of this process (user + system): steadier than wall time on a shared
    machine, but without the database server's share on PostgreSQL."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_catalog(products: int, assessments: int, dependencies: int) -> dict:
    data = {
        "format": "peso-catalog/1",
        "communities": [
            {"slug": f"spoke-{c:02d}", "name": f"Spoke {c}", "policy_set": "bench"}
            for c in range(COMMUNITIES)
        ],
        "policy_sets": [
            {
                "slug": "bench",
                "name": "Benchmark policies",
                "version": "1.0",
                "policies": [
                    {"code": f"P{p}", "title": f"Policy {p}", "position": p}
                    for p in range(1, POLICIES + 1)
                ],
            }
        ],
        "products": [],
        "dependencies": [],
        "memberships": [],
        "assessments": [],
    }
    for i in range(products):
        slug = f"package-{i:05d}"
        data["products"].append(
            {
                "slug": slug,
                "name": f"Package {i}",
                "summary": f"Synthetic package number {i} for the import benchmark.",
                "homepage": f"https://example.org/{slug}",
                "repository_url": f"https://github.com/example/{slug}",
                "license": "BSD-3-Clause",
                "spack_package": slug,
                "areas": [f"Area {i % 40}", f"Keyword {i % 13}"],
                "facts": {"spack_versions": ["1.0", "1.1", "2.0"]},
            }
        )
        # Distinct targets other than the product itself (deterministic, spread out).
        targets: list[int] = []
        k = 0
        while len(targets) < min(dependencies, products - 1):
            target = (i + 1 + (i * 7919 + k * 104729) % (products - 1)) % products
            if target not in targets:
                targets.append(target)
            k += 1
        for target in targets:
            data["dependencies"].append({"product": slug, "depends_on": f"package-{target:05d}"})
        for c in (i % COMMUNITIES, (i + 7) % COMMUNITIES)[: 2 if i % 2 == 0 else 1]:
            data["memberships"].append(
                {"product": slug, "community": f"spoke-{c:02d}", "joined_at": "2024-01-01"}
            )
        for p in range(min(assessments, POLICIES)):
            status = STATUSES[(i + p) % 4]
            record = {
                "product": slug,
                "policy_set": "bench",
                "policy": f"P{(i + p) % POLICIES + 1}",
                "status": status,
            }
            if status in ("partial", "na"):
                record["justification"] = "Synthetic justification."
            data["assessments"].append(record)
    return data


def write_catalog(args, directory: Path) -> Path:
    import yaml

    data = build_catalog(args.products, args.assessments, args.dependencies)
    path = directory / f"catalog.{args.format}"
    with open(path, "w", encoding="utf-8") as handle:
        if args.format == "json":
            json.dump(data, handle, indent=1)
        else:
            yaml.dump(
                data, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False
            )
    return path


def child(args) -> None:
    """One database: generate the file, import it twice, print one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peso_registry.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from products.importers import catalog
    from products.models import Assessment, Dependency, Membership, Product

    workdir = Path(tempfile.mkdtemp(prefix="peso-import-bench."))
    path = Path(args.file)
    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, as a deployment has (Django's default test database is in memory).
        connection.settings_dict["TEST"]["NAME"] = str(workdir / "test.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        size_mb = path.stat().st_size / 1e6
        rss_before = peak_rss_mb()
        cpu0 = cpu_s()
        t0 = time.perf_counter()
        parsed = catalog.load_path(str(path))
        t1 = time.perf_counter()
        summary = catalog.import_catalog(parsed)
        del parsed
        t2 = time.perf_counter()
        cpu2 = cpu_s()
        rss_after = peak_rss_mb()
        again = catalog.import_catalog(catalog.load_path(str(path)))
        t3 = time.perf_counter()
        assert summary.changes["products"]["created"] == args.products
        assert again.changes["products"]["unchanged"] == args.products
        result = {
            "database": connection.vendor,
            "file": f"{args.format}, {size_mb:.1f} MB",
            "rows": {
                "products": Product.objects.count(),
                "memberships": Membership.objects.count(),
                "dependencies": Dependency.objects.count(),
                "assessments": Assessment.objects.count(),
            },
            "parse_s": round(t1 - t0, 2),
            "import_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2),
            "cpu_s": round(cpu2 - cpu0, 2),
            "reimport_s": round(t3 - t2, 2),
            "rss_before_mb": round(rss_before),
            "peak_rss_mb": round(rss_after),
            "peak_rss_with_reimport_mb": round(peak_rss_mb()),
        }
        print("RESULT " + json.dumps(result), flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)


def run_child(args, db: str, url: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        f"--file={args.file}",
        f"--products={args.products}",
        f"--format={args.format}",
        f"--assessments={args.assessments}",
        f"--dependencies={args.dependencies}",
    ]
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "ERROR"}
    env.setdefault("SECRET_KEY", "benchmark-secret-key-not-for-production-0123456789abcdef")
    out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        sys.exit(f"the {db} import failed")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def render(results: list[dict]) -> str:
    head = (
        "| database | file | products | memberships | dependencies | assessments "
        "| parse + validate s | import s | total s | its CPU s | re-import (unchanged) s "
        "| peak RSS MB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {r['database']} | {r['file']} | {r['rows']['products']:,} "
        f"| {r['rows']['memberships']:,} | {r['rows']['dependencies']:,} "
        f"| {r['rows']['assessments']:,} | {r['parse_s']} | {r['import_s']} | {r['total_s']} "
        f"| {r.get('cpu_s', '-')} "
        f"| {r['reimport_s']} | {r['peak_rss_mb']} |"
        for r in results
    ]
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("--assessments", type=int, default=10, help="per product (max 20)")
    parser.add_argument("--dependencies", type=int, default=3, help="per product")
    parser.add_argument(
        "--postgres-url",
        help="a server to create a throwaway test database on (default: "
        "start a throwaway PostgreSQL)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    # The file is written here, once: the children's peak memory is the import's alone.
    with tempfile.TemporaryDirectory(prefix="peso-import-bench.") as tmp:
        args.file = str(write_catalog(args, Path(tmp)))
        results = measure(args, Path(tmp))
    print()
    print(render(results))


def measure(args, tmp: Path) -> list[dict]:
    results = []
    if args.db in ("sqlite", "both"):
        results.append(run_child(args, "sqlite", f"sqlite:///{tmp}/peso.sqlite3"))
        print(json.dumps(results[-1]), flush=True)
    if args.db in ("postgres", "both"):
        if args.postgres_url:
            results.append(run_child(args, "postgres", args.postgres_url))
        else:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from run import Postgres

            pg = Postgres()
            try:
                results.append(run_child(args, "postgres", pg.start()))
            finally:
                pg.stop()
        print(json.dumps(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    main()
