"""deploy/docker-compose.yml: one image, migrations once, one beat, nginx in front."""

import copy
import os
import shutil
import subprocess

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, ROOT

APP_SERVICES = ("migrate", "web", "worker", "beat")


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    return None


def legacy_compose_cli() -> str | None:
    """docker-compose 1.29 (Debian's package): validates everything but the newer `name` key."""
    return shutil.which("docker-compose")


CONFIG_ENV = {
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": "stratum.example.org",
    "SITE_URL": "https://stratum.example.org",
    "POSTGRES_PASSWORD": "compose-config-check",
}


def test_the_stack_has_every_part(compose):
    services = compose["services"]
    assert set(services) >= {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
        "nginx",
        "minio",
    }
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_web_worker_beat_and_migrate_share_one_image_and_environment(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"${STRATUM_IMAGE:-stratum:latest}"}
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    assert [services[name]["command"] for name in APP_SERVICES] == [
        ["migrate"],
        ["web"],
        ["worker"],
        ["beat"],
    ]


def test_migrations_run_once_before_the_application_starts(compose):
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_secrets_are_required_from_the_environment_never_defaulted(compose):
    env = compose["services"]["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert env["X_ACCEL_REDIRECT_PREFIX"] == "${X_ACCEL_REDIRECT_PREFIX-/protected/}"


def test_nginx_fronts_web_with_tls_and_reads_media_read_only(compose):
    nginx = compose["services"]["nginx"]
    assert nginx["build"]["target"] == "nginx"
    assert nginx["environment"]["NGINX_UPSTREAM"] == "web:8000"
    assert "tls.snippet" in nginx["environment"]["NGINX_TLS_INCLUDE"]
    assert "media:/srv/stratum/media:ro" in nginx["volumes"]
    assert {port.split(":")[-1] for port in nginx["ports"]} == {"8080", "8443"}
    assert "ports" not in compose["services"]["web"], "gunicorn must only be reachable via nginx"


def test_s3_storage_is_an_optional_profile(compose):
    assert compose["services"]["minio"]["profiles"] == ["s3"]
    assert compose["services"]["minio-bucket"]["profiles"] == ["s3"]
    assert "profiles" not in compose["services"]["web"]


def test_app_containers_are_hardened(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]


def run_compose_config(compose) -> subprocess.CompletedProcess:
    """`compose config` with the v2 CLI, or Debian's v1 `docker-compose` on a copy without
    the top-level `name` key (v1 predates it; `-p` gives the same project name)."""
    env = {**os.environ, **CONFIG_ENV}
    if compose_cli() is not None:
        return subprocess.run(
            [
                *compose_cli(),
                "-f",
                str(DEPLOY / "docker-compose.yml"),
                "--profile",
                "s3",
                "config",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
    compose = copy.deepcopy(compose)
    assert compose.pop("name") == "stratum"
    path = DEPLOY / f".compose-check-{os.getpid()}.yml"  # beside the original: same relative paths
    path.write_text(yaml.safe_dump(compose))
    try:
        return subprocess.run(
            [
                legacy_compose_cli(),
                "-p",
                "stratum",
                "-f",
                str(path),
                "--profile",
                "s3",
                "config",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        path.unlink()


@pytest.mark.skipif(
    compose_cli() is None and legacy_compose_cli() is None,
    reason="no compose CLI (docker compose v2 or Debian's docker-compose) is installed here",
)
def test_docker_compose_config_accepts_the_file(compose):
    result = run_compose_config(compose)
    assert result.returncode == 0, result.stderr


def test_missing_secrets_stop_compose_instead_of_starting_insecurely(compose):
    cli = compose_cli() or ([legacy_compose_cli()] if legacy_compose_cli() else None)
    if cli is None:
        pytest.skip("no compose CLI to interpolate with")
    path = DEPLOY / "docker-compose.yml"
    if cli[-1].endswith("docker-compose"):
        compose = copy.deepcopy(compose)
        compose.pop("name")
        path = DEPLOY / f".compose-check-{os.getpid()}.yml"
        path.write_text(yaml.safe_dump(compose))
    env = {k: v for k, v in {**os.environ, **CONFIG_ENV}.items() if k != "SECRET_KEY"}
    try:
        result = subprocess.run(
            [*cli, "-p", "stratum", "-f", str(path), "config", "--quiet"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        if path.name.startswith(".compose-check"):
            path.unlink()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
