"""Deployment settings, checked in fresh processes with the environment a deployer sets."""

from __future__ import annotations

import secrets

from tests.deploy.conftest import deployer_env, manage


def _run(args: list[str], **env: str):
    return manage(*args, env=deployer_env(**env), timeout=120)


def test_production_settings_with_https_pass_the_deploy_check_with_no_warnings():
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="registry.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = _run(["check"], DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_with_a_short_secret_key_refuses_to_start():
    result = _run(["check"], DEBUG="0", SECRET_KEY="x" * 49)
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr
    assert _run(["check"], DEBUG="0", SECRET_KEY="x" * 50).returncode == 0


def test_a_malformed_boolean_fails_loudly():
    result = _run(["check"], DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
