#!/usr/bin/env python
"""Time and peak memory of importing 10,000 products from one catalog file.

    .venv/bin/python benchmarks/import_10k.py [--products 10000] [--format yaml|json]
                                              [--assessments 2]

Runs against a throwaway test database created from the configured one (``DATABASE_URL``:
PostgreSQL when set to a postgres:// URL, else SQLite), so it never touches real data.
It generates one catalog file (products with areas, one membership and one dependency
each, and ``--assessments`` assessments per product), then reports:

- parse + validate time, import time (first run: everything created), re-import time
  (everything unchanged), and the row counts;
- peak resident memory of the process (ru_maxrss) and its growth during the import.

Not part of the test suite: the suite imports 1,000 products to check correctness.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peso_registry.settings")


def peak_rss_mb() -> float:
    # Linux reports kilobytes; macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def build_catalog(products: int, assessments: int) -> dict:
    communities = 50
    policies = 20
    data = {
        "format": "peso-catalog/1",
        "communities": [
            {"slug": f"spoke-{c:02d}", "name": f"Spoke {c}", "policy_set": "bench"}
            for c in range(communities)
        ],
        "policy_sets": [
            {
                "slug": "bench",
                "name": "Benchmark policies",
                "version": "1.0",
                "policies": [
                    {"code": f"P{p}", "title": f"Policy {p}", "position": p}
                    for p in range(1, policies + 1)
                ],
            }
        ],
        "products": [],
        "dependencies": [],
        "memberships": [],
        "assessments": [],
    }
    statuses = ("full", "none", "partial", "na")
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
        if i:
            data["dependencies"].append(
                {"product": slug, "depends_on": f"package-{(i * 7919) % i:05d}"}
            )
        data["memberships"].append(
            {
                "product": slug,
                "community": f"spoke-{i % communities:02d}",
                "joined_at": "2024-01-01",
            }
        )
        for p in range(assessments):
            status = statuses[(i + p) % 4]
            record = {
                "product": slug,
                "policy_set": "bench",
                "policy": f"P{p % policies + 1}",
                "status": status,
            }
            if status in ("partial", "na"):
                record["justification"] = "Synthetic justification."
            data["assessments"].append(record)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("--assessments", type=int, default=2, help="per product")
    args = parser.parse_args()

    import django

    django.setup()
    import yaml
    from django.db import connection
    from django.test.utils import setup_test_environment

    from products.importers import catalog
    from products.models import Assessment, Dependency, Membership, Product

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        data = build_catalog(args.products, args.assessments)
        with tempfile.NamedTemporaryFile(
            "w", suffix=f".{args.format}", delete=False, encoding="utf-8"
        ) as handle:
            if args.format == "json":
                json.dump(data, handle, indent=1)
            else:
                yaml.dump(
                    data,
                    handle,
                    Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                    sort_keys=False,
                )
            path = handle.name
        del data
        size_mb = os.path.getsize(path) / 1e6

        rss_before = peak_rss_mb()
        t0 = time.perf_counter()
        parsed = catalog.load_path(path)
        t1 = time.perf_counter()
        summary = catalog.import_catalog(parsed)
        t2 = time.perf_counter()
        rss_after = peak_rss_mb()
        again = catalog.import_catalog(catalog.load_path(path))
        t3 = time.perf_counter()

        vendor = connection.vendor
        print(f"database:              {vendor}")
        print(f"file:                  {args.format}, {size_mb:.1f} MB")
        print(
            f"rows:                  {Product.objects.count()} products, "
            f"{Dependency.objects.count()} dependencies, "
            f"{Membership.objects.count()} memberships, "
            f"{Assessment.objects.count()} assessments"
        )
        print(f"parse + validate:      {t1 - t0:.2f} s")
        print(f"import (all created):  {t2 - t1:.2f} s")
        print(f"total first import:    {t2 - t0:.2f} s")
        print(f"re-import (unchanged): {t3 - t2:.2f} s")
        print(
            f"peak RSS:              {rss_after:.0f} MB (grew {rss_after - rss_before:.0f} MB "
            "during the first import)"
        )
        assert summary.changes["products"]["created"] == args.products
        assert again.changes["products"]["unchanged"] == args.products
        os.unlink(path)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
