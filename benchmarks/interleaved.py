#!/usr/bin/env python
"""The app's requests beside the floor, interleaved in one process: ratios that hold on a
shared machine.

    .venv/bin/python benchmarks/interleaved.py [--requests 20] [PATH ...]

On a machine shared with other work, run.py's HTTP timings move with the load from one
minute to the next, and its ratios compare an endpoint measured at one moment with a
floor measured at another. Here each round times the floor (run.py's "same + embedded
lists, one SQL" query and json.dumps, through the driver) and then each path once,
through Django's test client in this process (the whole middleware stack and view, no
HTTP, no shared response cache: CACHE_URL=dummy://), so both see the same load. It
prints, per path, the medians and p95 in ms, the ratio of the medians to the floor's, and
the CPU time this process spent per request (the database server's is not in it).

It reads the database of DATABASE_URL as it is: point it at a catalog built by run.py's
``build_catalog`` (e.g. a copy kept from a run) after ``manage.py refresh_compliance``.
Without PATHs it measures run.py's endpoints for that catalog. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--requests", type=int, default=20, help="rounds")
    args = parser.parse_args()
    os.environ.update(DEBUG="0", CACHE_URL="dummy://", LOG_LEVEL="ERROR")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peso_registry.settings")
    static = tempfile.mkdtemp(prefix="peso-interleaved.")
    os.environ["STATIC_ROOT"] = static  # collected here for the pages, removed at the end
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        measure(args.paths, args.requests)
    finally:
        shutil.rmtree(static, ignore_errors=True)


def measure(paths: list[str], requests: int) -> None:
    import run as bench
    from django.db import connection
    from django.test import Client

    from products.models import Product

    if not paths:
        product = Product.objects.order_by("pk").values_list("slug", flat=True)
        ctx = {"product": "ginkgo-fft-00005", "community": "spoke-00", "policy_set": "set-00"}
        if not Product.objects.filter(slug=ctx["product"]).exists():
            ctx["product"] = product.first()
        paths = [path for _, path in bench.endpoints(ctx)]
    client = Client()
    for path in paths:  # warm-up, and a check that each answers
        status = client.get(path).status_code
        if status != 200:
            sys.exit(f"{path} answered {status}")
    connection.ensure_connection()
    floor = bench.floor_call(
        connection.connection.cursor(), bench.floor_queries(connection.vendor)[1][1]
    )
    floor()
    floor_ms: list[float] = []
    wall = {path: [] for path in paths}
    cpu = {path: [] for path in paths}
    for _ in range(requests):
        t0 = time.perf_counter()
        floor()
        floor_ms.append((time.perf_counter() - t0) * 1000)
        for path in paths:
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(path)
            cpu[path].append((time.process_time() - c0) * 1000)
            wall[path].append((time.perf_counter() - t0) * 1000)
    base = statistics.median(floor_ms)
    print(f"{connection.vendor}, {requests} rounds; floor (embedded lists) p50 {base:.1f} ms")
    print("| path | p50 ms | p95 ms | x floor | CPU ms (this process) |")
    print("|---|---:|---:|---:|---:|")
    for path in paths:
        p50 = statistics.median(wall[path])
        p95 = bench.pct(wall[path], 0.95)
        print(
            f"| `{path}` | {p50:.1f} | {p95:.1f} | {p50 / base:.1f} "
            f"| {statistics.median(cpu[path]):.1f} |"
        )


if __name__ == "__main__":
    main()
