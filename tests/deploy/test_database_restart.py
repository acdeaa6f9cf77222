"""The app survives a database restart without being restarted itself.

The test runs its own small PostgreSQL cluster (so restarting it cannot disturb the
suite's database) and serves the app with gunicorn against it: pooled connections die
with the restart, and the next request must reconnect instead of failing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.deploy.conftest import ROOT, deployer_env, manage


def _pg_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not candidates:
        pytest.fail("PostgreSQL server binaries are missing (bin/setup --dev installs them)")
    return Path(candidates[-1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture
def cluster() -> Iterator[tuple[Path, Path]]:
    pg_bin = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="peso-restart-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"

    def run(*args: str) -> None:
        command = _as_postgres([str(pg_bin / args[0]), *args[1:]])
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-c listen_addresses='' -k {folder} -c fsync=off"
    run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "-o", options, "start")
    run("createdb", "-h", str(folder), "-U", "postgres", "peso")
    try:
        yield pg_bin, folder
    finally:
        subprocess.run(
            _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_requests_after_a_database_restart_succeed(cluster):
    pg_bin, folder = cluster
    env = deployer_env(
        DATABASE_URL=f"postgres://postgres@{quote(str(folder), safe='')}/peso",
        DEBUG="0",
        SECRET_KEY="restart-check-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="127.0.0.1",
        DB_CONN_MAX_AGE="600",
        STATIC_ROOT=str(folder / "static"),
    )
    migrate = manage("migrate", "-v0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    static = manage("collectstatic", "--noinput", "-v0", env=env)
    assert static.returncode == 0, static.stderr
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "peso_registry.wsgi",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(base + "/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert _get(base + "/api/v1/products/") == 200  # a pooled connection now exists
        assert _get(base + "/products/") == 200

        subprocess.run(
            _as_postgres(
                [
                    str(pg_bin / "pg_ctl"),
                    *("-D", str(folder / "data"), "-l", str(folder / "log")),
                    *("-m", "fast", "-w", "restart"),
                ]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

        # The worker was not restarted: its old connection is dead, and it must reconnect.
        assert _get(base + "/healthz") == 200
        assert _get(base + "/api/v1/products/") == 200
        assert _get(base + "/products/") == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
