"""Helpers for tests that start the app in fresh processes, as a deployer would."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the test run itself sets and a deployer's shell would not have.
# The suite's own choices; a deployment starts from the defaults.
TEST_ONLY = {"DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE", "CACHE_URL", "CACHE_DIR"}


def deployer_env(**env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    # The default cache is a folder every process of one deployment shares: one per
    # deployment here, so that servers of different tests never count each other's hits.
    environment["CACHE_DIR"] = tempfile.mkdtemp(prefix="peso-cache-")
    environment.update(env)
    return environment


def python(args: list[str], env: dict[str, str], timeout: int = 300):
    """Run `python ARGS` in the project folder; the completed process, output as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage(*args: str, env: dict[str, str], timeout: int = 300):
    return python(["manage.py", *args], env, timeout)
