"""`manage.py check --deploy` with the production environment prints no warning."""

import os
import secrets
import subprocess
import sys

from tests.deploy.conftest import ROOT


def production_environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        ALLOWED_HOSTS="stratum.example.org,localhost",
        CSRF_TRUSTED_ORIGINS="https://stratum.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stratum"),
        EMAIL_URL="smtp+tls://user:password@smtp.example.org:587",
        X_ACCEL_REDIRECT_PREFIX="/protected/",
    )
    return {**env, **extra}


def run_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    env = production_environment()
    assert len(env["SECRET_KEY"]) == 64
    result = run_check(env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "?:" not in output
    assert "System check identified no issues" in output


def test_production_refuses_to_start_with_a_short_secret_key():
    result = run_check(production_environment(SECRET_KEY="too-short"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
