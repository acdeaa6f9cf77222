"""Two app instances on one PostgreSQL database and one Redis: a write through one is
seen at once through the other — the API list and detail, the catalog page and its facet
counts, the badge — and a conditional GET through the other with a tag taken before the
write answers 200, never a stale 304 (before the write, it answers 304).

Each instance is a gunicorn server of its own (its own memory, its own connections), as
two machines behind a load balancer would be; they share only the database (a database
made for this test on the suite's PostgreSQL server) and the cache (the test command's
Redis, ``REDIS_URL``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection

from tests.deploy.conftest import ROOT, deployer_env, manage

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="two instances share a PostgreSQL database"
    ),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs the test command's Redis (REDIS_URL)"
    ),
]

CATALOG = """
from accounts.models import ApiToken
from django.contrib.auth.models import User
from products.models import Membership, Product
from spokes.models import Community, Policy, PolicySet

admin = User.objects.create_user("hub", password="x", is_staff=True)
base = PolicySet.objects.create(slug="base", name="Base", version="1.0")
for code in ("P1", "P2"):
    Policy.objects.create(
        policy_set=base, version="1.0", code=code, title=code, summary=code, level="mandatory"
    )
alpha = Community.objects.create(slug="alpha", name="Alpha SDK", kind="spoke", policy_set=base)
for slug in ("widget", "gadget"):
    product = Product.objects.create(slug=slug, name=slug.title(), license="BSD-3-Clause")
    Membership.objects.create(product=product, community=alpha)
print(ApiToken.issue(user=admin, name="two")[1])
"""


def _server_url(name: str) -> str:
    """A URL of database ``name`` on the suite's PostgreSQL server."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{name}"


def _admin(sql: str) -> None:
    db = connection.settings_dict
    link = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    link.autocommit = True
    try:
        with link.cursor() as cursor:
            cursor.execute(sql)
    finally:
        link.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _send(method: str, url: str, body: dict, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_up(base: str) -> None:
    for _ in range(200):
        try:
            if _get(base + "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """Two gunicorn servers on one fresh PostgreSQL database and one Redis; a small
    catalog (products widget and gadget in spoke alpha) and a hub admin's API token."""
    name = f"peso_two_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("two")
    env = deployer_env(
        DATABASE_URL=_server_url(name),
        CACHE_URL=os.environ["REDIS_URL"],
        DEBUG="0",
        SECRET_KEY="two-instances-check-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="127.0.0.1",
        API_ANON_RATE="100000/min",
        STATIC_ROOT=str(folder / "static"),
    )
    servers: list[subprocess.Popen] = []
    try:
        for step in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0")):
            done = manage(*step, env=env)
            assert done.returncode == 0, done.stderr
        made = manage("shell", "-c", CATALOG, env=env)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        bases = []
        for _ in range(2):
            address = f"127.0.0.1:{_free_port()}"
            command = [sys.executable, "-m", "gunicorn", "peso_registry.wsgi", "-b", address]
            servers.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://{address}")
        for base in bases:
            _wait_until_up(base)
        yield bases[0], bases[1], token
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _mit_count(page: bytes) -> str | None:
    found = re.search(rb"<span>MIT</span><span class=\"count\">(\d+)</span>", page)
    return found.group(1).decode() if found else None


def test_a_write_through_one_instance_is_seen_at_once_through_the_other(two_instances):
    a, b, token = two_instances
    list_url, detail_url = b + "/api/v1/products/", b + "/api/v1/products/widget/"
    catalog_url, badge_url = b + "/products/", b + "/products/widget/badge.svg"

    # Through b, twice: the second answer of each comes from the shared cache or a 304.
    status, listed, _ = _get(list_url)
    assert status == 200
    assert _get(list_url, **{"If-None-Match": listed["ETag"]})[0] == 304
    status, page, catalog = _get(catalog_url)
    assert status == 200 and _mit_count(catalog) is None
    assert _get(catalog_url, **{"If-None-Match": page["ETag"]})[0] == 304
    _, detail, _ = _get(detail_url)
    assert _get(detail_url, **{"If-None-Match": detail["ETag"]})[0] == 304
    _, badge, before_badge = _get(badge_url)

    # The write, through a: the product's license, and both its mandatory policies met.
    assert _send("PATCH", a + "/api/v1/products/widget/", {"license": "MIT"}, token) == 200
    for code in ("P1", "P2"):
        body = {
            "product": "widget",
            "policy_set": "base",
            "policy": code,
            "status": "full",
            "evidence_url": "https://ci.example.org",
        }
        assert _send("POST", a + "/api/v1/assessments/", body, token) in (200, 201)

    # Through b at once: no stale 304 for the tags taken before the write ...
    assert _get(list_url, **{"If-None-Match": listed["ETag"]})[0] == 200
    assert _get(catalog_url, **{"If-None-Match": page["ETag"]})[0] == 200
    assert _get(detail_url, **{"If-None-Match": detail["ETag"]})[0] == 200
    assert _get(badge_url, **{"If-None-Match": badge["ETag"]})[0] == 200
    # ... and the new facts: list, detail, catalog page and its facet counts, badge.
    _, _, body = _get(list_url)
    rows = {row["slug"]: row for row in json.loads(body)["results"]}
    assert rows["widget"]["license"] == "MIT"
    assert json.loads(_get(detail_url)[2])["license"] == "MIT"
    assert _mit_count(_get(catalog_url)[2]) == "1"
    assert _get(catalog_url + "?license=MIT")[2].count(b"/products/gadget/") == 0
    assert _get(badge_url)[2] != before_badge
