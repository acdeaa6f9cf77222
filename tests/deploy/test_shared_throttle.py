"""Throttles hold across app processes: two gunicorn processes on one embedded (SQLite)
database see one count of anonymous API requests and of failed sign-ins, in the default
setup (no CACHE_URL: the file cache every process on the machine shares) and with the
database cache (CACHE_URL=db://)."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD
from tests.deploy.conftest import ROOT, deployer_env, manage, python

SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.CACHES['default']['BACKEND'])"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    address = f"127.0.0.1:{_free_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "peso_registry.wsgi", "-w", "1", "-b", address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://{address}"


def _wait_until_up(base: str) -> None:
    for _ in range(150):
        try:
            if _status(base + "/healthz") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


@pytest.fixture(scope="module", params=["default", "db://"])
def two_processes(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Two gunicorn processes on one migrated SQLite database, with the default cache or
    the database cache, no trusted proxy and a low anonymous API rate; a user "carol"."""
    folder = tmp_path_factory.mktemp("shared")
    env = deployer_env(
        DATABASE_URL=f"sqlite:///{folder / 'registry.sqlite3'}",
        DEBUG="0",
        SECRET_KEY="shared-throttle-check-secret-key-0123456789-abcdefghijkl",
        ALLOWED_HOSTS="127.0.0.1",
        API_ANON_RATE="3/min",
        STATIC_ROOT=str(folder / "static"),
    )
    if request.param != "default":
        env["CACHE_URL"] = request.param
    env.pop("TRUSTED_PROXIES", None)
    migrate = manage("migrate", "-v0", env=env)  # creates the cache table too
    assert migrate.returncode == 0, migrate.stderr
    static = manage("collectstatic", "--noinput", "-v0", env=env)  # the pages' manifest
    assert static.returncode == 0, static.stderr
    user = manage("shell", "-c", CAROL, env=env)
    assert user.returncode == 0, user.stderr
    (first, a), (second, b) = _serve(env), _serve(env)
    try:
        _wait_until_up(a)
        _wait_until_up(b)
        yield a, b
    finally:
        for server in (first, second):
            server.terminate()
            server.wait(timeout=10)


def test_two_processes_share_the_anonymous_api_count(two_processes):
    a, b = two_processes
    assert [_status(a + "/api/v1/") for _ in range(3)] == [200, 200, 200]
    # The other process has seen none of those requests, yet counts them; nor does a
    # forged X-Forwarded-For (no proxy is trusted by default) start a fresh count.
    assert _status(b + "/api/v1/") == 429
    assert _status(b + "/api/v1/", **{"X-Forwarded-For": "198.51.100.23"}) == 429


def test_two_processes_share_the_failed_sign_in_count(two_processes):
    a, b = two_processes
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    for _ in range(4):  # three free failures, and a fourth that asks for a wait
        assert _sign_in(browser, a, "wrong guess") == 200
    # The other process refuses even the right password while that wait runs.
    assert _sign_in(browser, b, PASSWORD) == 429


CAROL = (
    "from django.contrib.auth.models import User; "
    f"User.objects.create_user('carol', password={PASSWORD!r})"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _sign_in(browser, base: str, password: str) -> int:
    with browser.open(base + "/accounts/login/", timeout=10) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": "carol", "password": password}
    ).encode()
    try:
        with browser.open(base + "/accounts/login/", data=body, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_cache_url_selects_a_cache_processes_share():
    env = {**deployer_env(), "DJANGO_SETTINGS_MODULE": "peso_registry.settings"}
    default = python(["-c", SETTINGS], env)
    assert default.stdout.strip() == "django.core.cache.backends.filebased.FileBasedCache", (
        default.stderr
    )
    database = python(["-c", SETTINGS], {**env, "CACHE_URL": "db://"})
    assert database.stdout.strip() == "django.core.cache.backends.db.DatabaseCache", database.stderr
    redis = python(
        ["-c", SETTINGS + "; import redis"],
        {
            **env,
            "DJANGO_SETTINGS_MODULE": "peso_registry.settings",
            "CACHE_URL": "redis://x:6379/0",
        },
    )
    assert redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache", redis.stderr
