"""Read replicas on a real PostgreSQL streaming standby (DATABASE_REPLICA_URLS).

The test runs its own primary and a hot standby made from it with `pg_basebackup -R`
(so pausing the standby's replay disturbs nothing else), and serves the app with gunicorn
on both. While the standby's replay is paused, a change written through the app is on
the primary and not yet on the standby: which of the two a client sees tells which
database served its read.
"""

from __future__ import annotations

import glob
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

from tests.conftest import PASSWORD
from tests.deploy.conftest import ROOT, deployer_env, manage, python

# The primary gets its schema from the suite's own test database (_copy_schema), which
# the django_db mark makes sure exists.
pytestmark = pytest.mark.django_db

PIN_SECONDS = 2
SEED = (
    "from accounts.services import issue_token; "
    "from tests.conftest import make_product, make_user; "
    "mia = make_user('mia'); "
    "make_product('alpha', maintainers=[mia], summary='First summary'); "
    "print(issue_token(user=mia)[1])"
)


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Deployment:
    base: str  # the app, served by gunicorn
    token: str  # mia's API token; mia maintains the product "alpha"
    env: dict[str, str]
    pg_bin: Path
    primary: Path  # the socket folders
    standby: Path

    def sql(self, socket_dir: Path, query: str) -> str:
        command = [str(self.pg_bin / "psql"), "-h", str(socket_dir), "-U", "postgres"]
        result = subprocess.run(
            _as_postgres([*command, "-d", "peso", "-Atc", query]),
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout.strip()

    def wait_for_replay(self) -> None:
        """Until the standby has replayed everything the primary has written."""
        position = self.sql(self.primary, "SELECT pg_current_wal_lsn()")
        query = f"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{position}') >= 0"
        for _ in range(200):
            if self.sql(self.standby, query) == "t":
                return
            time.sleep(0.05)
        raise AssertionError("the standby did not catch up")

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        self.wait_for_replay()
        self.sql(self.standby, "SELECT pg_wal_replay_pause()")
        for _ in range(200):
            if self.sql(self.standby, "SELECT pg_get_wal_replay_pause_state()") == "paused":
                break
            time.sleep(0.05)
        try:
            yield
        finally:
            self.sql(self.standby, "SELECT pg_wal_replay_resume()")
            self.wait_for_replay()


def _copy_schema(pg_bin: Path, socket_dir: Path) -> None:
    """The suite's own test database, freshly migrated and empty, copied to `peso` on the
    new primary: the schema `migrate` makes, in a second rather than a fresh migrate's ten."""
    suite = connection.settings_dict
    dump = subprocess.run(
        [str(pg_bin / "pg_dump"), "--no-owner", "--no-privileges", "-d", suite["NAME"]]
        + (["-h", suite["HOST"]] if suite["HOST"] else [])
        + (["-p", str(suite["PORT"])] if suite["PORT"] else [])
        + (["-U", suite["USER"]] if suite["USER"] else []),
        env={**os.environ, "PGPASSWORD": suite["PASSWORD"] or ""},
        check=True,
        capture_output=True,
        timeout=60,
    )
    command = [str(pg_bin / "psql"), "-h", str(socket_dir), "-U", "postgres", "-d", "peso"]
    subprocess.run(
        _as_postgres([*command, "-q", "-v", "ON_ERROR_STOP=1"]),
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def clusters(django_db_setup) -> Iterator[tuple[Path, Path]]:
    """A primary (socket in FOLDER/primary) holding the app's schema in `peso`, and its
    hot standby (FOLDER/standby); the PostgreSQL binaries and FOLDER."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not candidates:
        pytest.fail("PostgreSQL server binaries are missing (bin/setup --dev installs them)")
    pg_bin = Path(candidates[-1])
    folder = Path(tempfile.mkdtemp(prefix="peso-replica-"))
    for path in (folder, folder / "primary", folder / "standby"):
        path.mkdir(exist_ok=True)
        path.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres")

    def run(*args: str) -> None:
        command = _as_postgres([str(pg_bin / args[0]), *args[1:]])
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(name: str) -> None:
        options = f"-c listen_addresses='' -k {folder / name} -c fsync=off"
        data, log = str(folder / f"{name}-data"), str(folder / f"{name}.log")
        run("pg_ctl", "-D", data, "-l", log, "-w", "-o", options, "start")

    try:
        # initdb's defaults allow streaming: wal_level=replica, max_wal_senders=10, and a
        # trusted `local replication` line in pg_hba.conf.
        run("initdb", "-D", str(folder / "primary-data"), "-U", "postgres", "--auth=trust")
        start("primary")
        run("createdb", "-h", str(folder / "primary"), "-U", "postgres", "peso")
        _copy_schema(pg_bin, folder / "primary")
        # The standby: a copy of the primary that streams and replays its WAL (-R).
        run(
            *("pg_basebackup", "-D", str(folder / "standby-data"), "-R"),
            *("-h", str(folder / "primary"), "-U", "postgres"),
            *("--checkpoint=fast", "--no-sync"),
        )
        start("standby")
        yield pg_bin, folder
    finally:
        for name in ("standby", "primary"):
            stop = [str(pg_bin / "pg_ctl"), "-D", str(folder / f"{name}-data")]
            subprocess.run(_as_postgres([*stop, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def deployment(clusters) -> Iterator[Deployment]:
    """The app on the primary with the standby as its replica, served by gunicorn, with a
    user "mia" who maintains the product "alpha" and holds an API token."""
    pg_bin, folder = clusters
    primary, standby = folder / "primary", folder / "standby"
    env = deployer_env(
        DATABASE_URL=f"postgres://postgres@{quote(str(primary), safe='')}/peso",
        DEBUG="0",
        SECRET_KEY="replica-check-secret-key-0123456789-abcdefghijklmnopqr",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(folder / "static"),
        DATABASE_REPLICA_URLS=f"postgres://postgres@{quote(str(standby), safe='')}/peso",
        REPLICA_PIN_SECONDS=str(PIN_SECONDS),
    )
    static = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env
    )
    seed = manage("shell", "-v0", "-c", SEED, env=env)  # outside a request: the primary
    assert seed.returncode == 0, seed.stderr
    assert static.wait(timeout=120) == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "peso_registry.wsgi", "-w", "1", "-b", address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deployment = Deployment(
            f"http://{address}", seed.stdout.strip(), env, pg_bin, primary, standby
        )
        for _ in range(150):
            try:
                if _open(urllib.request.build_opener(), deployment.base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield deployment
    finally:
        server.terminate()
        server.wait(timeout=10)


def _open(opener, url: str, data: bytes | None = None, method: str | None = None, **headers):
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _summary(opener, deployment: Deployment, **headers: str) -> str:
    status, body = _open(opener, deployment.base + "/api/v1/products/alpha/", **headers)
    assert status == 200, body
    return json.loads(body)["summary"]


def _listed_summary(opener, deployment: Deployment) -> str:
    status, body = _open(opener, deployment.base + "/api/v1/products/")
    assert status == 200, body
    return next(p["summary"] for p in json.loads(body)["results"] if p["slug"] == "alpha")


def _patch(opener, deployment: Deployment, summary: str, **headers: str) -> None:
    body = json.dumps({"summary": summary}).encode()
    url = deployment.base + "/api/v1/products/alpha/"
    status, text = _open(
        opener, url, body, "PATCH", **{"Content-Type": "application/json"}, **headers
    )
    assert status == 200, text


def test_the_replica_is_a_standby_and_migrate_leaves_it_alone(deployment):
    # With the replica configured, migrate reads and writes the primary alone: a standby
    # is read-only, and touching it would fail.
    check = (
        "from django.core.management import call_command; from django.db import connections; "
        "call_command('migrate', verbosity=0); c = connections['replica_0'].cursor(); "
        "c.execute('SELECT pg_is_in_recovery()'); print(c.fetchone()[0])"
    )
    result = manage("shell", "-v0", "-c", check, env=deployment.env)
    assert result.stdout.strip() == "True", result.stderr


def test_anonymous_reads_come_from_the_replica_and_a_token_client_reads_its_writes(
    deployment,
):
    anonymous, api = urllib.request.build_opener(), urllib.request.build_opener()
    token = {"Authorization": f"Token {deployment.token}"}
    before = _summary(anonymous, deployment)
    with deployment.replay_paused():
        _patch(api, deployment, "Written while the standby waits", **token)
        # The writer reads the primary at once; an anonymous reader gets the standby,
        # which has not replayed the write.
        assert _summary(api, deployment, **token) == "Written while the standby waits"
        assert _summary(anonymous, deployment) == before
        assert _listed_summary(anonymous, deployment) == before
        status, page = _open(anonymous, deployment.base + "/products/alpha/")
        assert status == 200 and "Written while the standby waits" not in page
    # Once the standby replays, anonymous readers see the write too, the shared cache's
    # list included: it keeps responses under the catalog version their database had.
    assert _summary(anonymous, deployment) == "Written while the standby waits"
    assert _listed_summary(anonymous, deployment) == "Written while the standby waits"


def test_a_browser_reads_its_own_writes_even_after_signing_out(deployment):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    stranger = urllib.request.build_opener()
    before = _summary(stranger, deployment)
    with deployment.replay_paused():
        status, page = _open(browser, deployment.base + "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urlencode({"csrfmiddlewaretoken": token, "username": "mia", "password": PASSWORD})
        status, _ = _open(browser, deployment.base + "/accounts/login/", form.encode())
        assert status == 200  # followed the redirect, signed in

        def csrf() -> dict[str, str]:
            return {"X-CSRFToken": next(c.value for c in jar if c.name == "csrftoken")}

        _patch(browser, deployment, "Written in a session", **csrf())
        assert _summary(browser, deployment) == "Written in a session"  # signed in
        status, _ = _open(browser, deployment.base + "/accounts/logout/", b"", **csrf())
        assert status == 200
        assert not any(c.name == "sessionid" for c in jar)

        # Signed out, the browser still reads the primary while the pin lasts; anyone
        # else reads the standby.
        assert _summary(browser, deployment) == "Written in a session"
        assert _summary(stranger, deployment) == before
        time.sleep(PIN_SECONDS + 0.2)
        assert _summary(browser, deployment) == before  # the pin ran out: the standby
    assert _summary(stranger, deployment) == "Written in a session"


SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "replica = settings.DATABASES.get('replica_0', {}); "
    "print(sorted(settings.DATABASES), replica.get('TEST', {}).get('MIRROR'), "
    "settings.DATABASE_ROUTERS, 'peso_registry.routers.ReplicaMiddleware' in settings.MIDDLEWARE, "
    "sep='|')"
)


def _settings(**env: str):
    return python(
        ["-c", SETTINGS], deployer_env(DJANGO_SETTINGS_MODULE="peso_registry.settings", **env)
    )


def test_replicas_are_extra_databases_a_test_run_mirrors_to_the_primary():
    primary = "postgres://postgres@%2Fnowhere/peso"
    result = _settings(
        DATABASE_URL=primary,
        DATABASE_REPLICA_URLS=f"{primary},postgres://reader@replica.example.org/peso",
    )
    assert result.stdout.strip().split("|") == [
        "['default', 'replica_0', 'replica_1']",
        "default",  # a test run never creates a database for a replica
        "['peso_registry.routers.ReplicaRouter']",
        "True",
    ], result.stderr


def test_without_replicas_there_is_one_database_and_no_router():
    result = _settings(DATABASE_URL="postgres://postgres@%2Fnowhere/peso", DATABASE_REPLICA_URLS="")
    assert result.stdout.strip() == "['default']|None|[]|False", result.stderr


def test_replicas_need_postgresql():
    result = _settings(
        DATABASE_URL="sqlite:////tmp/peso.sqlite3",
        DATABASE_REPLICA_URLS="sqlite:////tmp/copy.sqlite3",
    )
    assert "DATABASE_REPLICA_URLS needs PostgreSQL" in result.stderr
