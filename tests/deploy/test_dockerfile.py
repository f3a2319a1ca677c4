"""deploy/Dockerfile: multi-stage, slim, non-root, no compilers at run time, healthcheck."""

import re

import pytest

from tests.deploy.conftest import DEPLOY, ROOT


def stages() -> dict[str, list[str]]:
    """Instructions per stage name (continuation lines joined)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    result: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = match.group(2)
            result[current] = [line]
        elif current:
            result[current].append(line)
    return result


@pytest.fixture(scope="module")
def dockerfile() -> dict[str, list[str]]:
    return stages()


def test_stages_are_builder_runtime_nginx_and_the_app_last(dockerfile):
    assert list(dockerfile) == ["builder", "runtime", "nginx", "app"]
    assert dockerfile["app"][0].startswith("FROM runtime AS app")
    text = (DEPLOY / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text


def test_compilers_stay_in_the_builder(dockerfile):
    assert any("build-essential" in line for line in dockerfile["builder"])
    runtime = " ".join(dockerfile["runtime"])
    for compiler in ("build-essential", "gcc", "libpq-dev", "-dev "):
        assert compiler not in runtime
    assert "COPY --from=builder /wheels /wheels" in runtime
    assert "--no-index" in runtime


def test_the_runtime_runs_as_a_non_root_user_with_a_python_healthcheck(dockerfile):
    runtime = dockerfile["runtime"]
    users = [line for line in runtime if line.startswith("USER ")]
    assert users and users[-1] != "USER root" and "0" not in users[-1].split()[1].split(":")
    healthcheck = next(line for line in runtime if line.startswith("HEALTHCHECK"))
    assert '"python", "/app/deploy/healthcheck.py"' in healthcheck
    assert "curl" not in healthcheck


def test_static_files_are_collected_at_build_time(dockerfile):
    run = " ".join(line for line in dockerfile["runtime"] if line.startswith("RUN"))
    assert "manage.py collectstatic --noinput" in run
    assert "COPY --from=runtime /app/staticfiles" in " ".join(dockerfile["nginx"])


def test_the_build_context_leaves_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".env", ".venv", "var", "media"):
        assert entry in ignored


def test_the_entrypoint_knows_every_role():
    entrypoint = (DEPLOY / "docker-entrypoint.sh").read_text()
    for role in ("web)", "worker)", "beat)", "migrate)", "manage)"):
        assert role in entrypoint
    assert "deploy/gunicorn.conf.py" in entrypoint
    assert "DatabaseScheduler" in entrypoint


def test_the_build_fails_unless_the_installed_versions_are_the_locks(dockerfile):
    runtime = dockerfile["runtime"]
    install = next(i for i, line in enumerate(runtime) if "pip install --no-index" in line)
    copy = runtime.index("COPY . /app")
    check = runtime.index("RUN python deploy/lock_check.py requirements/base.txt")
    assert install < copy < check
