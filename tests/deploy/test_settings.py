"""Deployment settings, checked in fresh processes with the environment a deployer sets."""

from __future__ import annotations

import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured

from peso_registry.settings import parse_email_url
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


# --- EMAIL_URL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("locmem://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        ("dummy://", {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}),
        (
            "smtp://mail.example.org",
            {"EMAIL_HOST": "mail.example.org", "EMAIL_PORT": 25, "EMAIL_USE_TLS": False},
        ),
        (
            "smtp://registry%40example.org:p%40ss:word@mail.example.org:2525?tls=1",
            {
                "EMAIL_HOST_USER": "registry@example.org",
                "EMAIL_HOST_PASSWORD": "p@ss:word",
                "EMAIL_PORT": 2525,
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        ("smtp://h.example.org?tls", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
        ("smtp://h.example.org?ssl=true", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
        (
            "smtps://u:p@h.example.org?timeout=5",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 5},
        ),
    ],
)
def test_email_url_reads_into_django_settings(url, expected):
    config = parse_email_url(url)
    assert {key: config[key] for key in expected} == expected
    if url.startswith("smtp"):
        assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("imap://mail.example.org", "scheme not supported"),
        ("mail.example.org", "scheme not supported"),
        ("smtp://", "names a host"),
        ("smtp://h.example.org:twenty-five", "port is not a number"),
        ("smtp://h.example.org?tls=1&ssl=1", "not both"),
        ("smtps://h.example.org?tls", "not both"),
        ("smtp://h.example.org?tls=maybe", "?tls takes 1/0"),
        ("smtp://h.example.org?starttls=1", "unknown option(s) starttls"),
        ("smtp://h.example.org?timeout=soon", "whole seconds"),
    ],
)
def test_a_bad_email_url_is_refused_with_the_reason(url, message):
    with pytest.raises(ImproperlyConfigured) as error:
        parse_email_url(url)
    assert message in str(error.value)


def test_email_settings_come_from_the_environment():
    show = (
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, "
        "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, s.SITE_URL)"
    )
    default = _run(["shell", "-v", "0", "-c", show])
    assert default.returncode == 0, default.stderr
    assert default.stdout.split()[0] == "django.core.mail.backends.console.EmailBackend"
    configured = _run(
        ["shell", "-v", "0", "-c", show],
        EMAIL_URL="smtp://mailer:secret@smtp.example.org:587?tls=1",
        DEFAULT_FROM_EMAIL="registry@example.org",
        SITE_URL="https://registry.example.org/",
    )
    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "587",
        "True",
        "registry@example.org",
        "https://registry.example.org",
    ]
    refused = _run(["check"], EMAIL_URL="smtp://smtp.example.org?tls=1&ssl=1")
    assert refused.returncode != 0
    assert "EMAIL_URL: choose ?tls (STARTTLS) or ?ssl, not both" in refused.stderr
    bad_site = _run(["check"], SITE_URL="registry.example.org")
    assert bad_site.returncode != 0
    assert "SITE_URL must be an http(s) URL" in bad_site.stderr
