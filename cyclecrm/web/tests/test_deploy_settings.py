"""Production mode (CYCLECRM_ENV=production): Django's deploy checks are clean, and responses
carry the security headers and cookie flags. Run in a subprocess: settings are read once, from
the environment, at start-up."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Runs in the production process: a plain-http request, then an https one (as behind the TLS
# proxy, which sets X-Forwarded-Proto), with Django's test client. Static files are not
# collected here, so the manifest storage of production gives way to the plain one.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES=plain_static).enable()
client = Client(HTTP_HOST="crm.example.com")
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
cookie = secure.cookies["csrftoken"]
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "health_status": client.get("/healthz").status_code,
    "headers": {name: secure.get(name, "") for name in (
        "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
        "Referrer-Policy", "Content-Security-Policy", "Cross-Origin-Opener-Policy")},
    "csrf_cookie": {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]),
                    "samesite": cookie["samesite"]},
    "session_cookie": {"secure": settings.SESSION_COOKIE_SECURE,
                       "httponly": settings.SESSION_COOKIE_HTTPONLY,
                       "samesite": settings.SESSION_COOKIE_SAMESITE},
}))
"""


def _production(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CYCLECRM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "crm.example.com",
        "CYCLECRM_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cyclecrm.config.settings",
        "DEBUG": "false",
    }
    env.pop("DATABASE_URL", None)
    # Set for Playwright by tests/e2e/conftest.py when a run collects it; a deployment has not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_deploy_checks_are_clean_in_production_mode(tmp_path):
    result = _production(tmp_path, "-m", "cyclecrm", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_responses_carry_the_security_headers_and_cookie_flags(tmp_path):
    result = _production(tmp_path, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://crm.example.com/accounts/login/"
    assert seen["health_status"] == 200  # load balancers probe over plain http
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


@pytest.mark.parametrize("missing", ["SECRET_KEY"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, missing):
    env_probe = f"import os; os.environ.pop({missing!r}); import django; django.setup()"
    result = _production(tmp_path, "-c", env_probe)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
