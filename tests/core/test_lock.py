"""Issue 20, acceptance 5: installs are exactly uv.lock's versions.

uv.lock is the source of truth; requirements/base.txt and requirements/dev.txt are exported from
it with every file's hash; `make run`, `make test` and the Docker build install those with
`pip --require-hashes`. These tests catch a lock out of step with pyproject.toml, an export out
of step with the lock, an install path that bypasses them, and a checkout whose installed
versions differ from the lock.
"""

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(settings.BASE_DIR)
UV = Path(sys.executable).parent / "uv"
EXPORTS = {
    "requirements/base.txt": ["--no-dev"],
    "requirements/dev.txt": ["--extra", "dev"],
}


def locked_requirements(path: Path) -> list[Requirement]:
    """`name==version ; marker` of a hashed requirements file (hash lines and comments skipped)."""
    found = []
    for line in path.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            found.append(Requirement(line.rstrip(" \\")))
    return found


def test_every_installed_package_has_the_locked_version():
    wrong = {}
    requirements = locked_requirements(ROOT / "requirements" / "dev.txt")
    assert len(requirements) > 50
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (locked,) = [spec.version for spec in requirement.specifier]
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or canonicalize_name(installed) != canonicalize_name(locked):
            wrong[requirement.name] = (installed, locked)
    assert wrong == {}, "run make install-dev (installed, locked)"


def _content(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_the_hashed_requirements_are_the_export_of_the_lock(name, tmp_path):
    out = tmp_path / "export.txt"
    command = [str(UV), "export", "--frozen", "--quiet", "--no-emit-project"]
    command += [*EXPORTS[name], "--format", "requirements-txt", "-o", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert _content((ROOT / name).read_text()) == _content(out.read_text()), "run make lock"
    assert "--hash=sha256:" in (ROOT / name).read_text()


def test_the_lock_is_in_step_with_pyproject():
    result = subprocess.run(
        [str(UV), "lock", "--locked", "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_bootstrap_requirement_is_the_locked_uv_with_its_hashes():
    from tools.bootstrap_requirements import uv_entry

    bootstrap = (ROOT / "requirements" / "bootstrap.txt").read_text()
    assert _content(bootstrap) == _content(uv_entry((ROOT / "requirements/dev.txt").read_text()))
    assert "--hash=sha256:" in bootstrap


def test_make_and_the_docker_build_install_from_the_hashed_requirements():
    dry_run = subprocess.run(
        ["make", "-n", "-B", "install-dev", "install"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in dry_run.splitlines() if " install " in line and "pip" in line]
    assert "--require-hashes -r requirements/dev.txt" in dry_run
    assert "--require-hashes -r requirements/base.txt" in dry_run
    # uv, the installer, comes first, by hash too.
    assert "pip install --quiet --no-deps --require-hashes -r requirements/bootstrap.txt" in dry_run
    # Every other install is the project without its dependencies.
    others = [line for line in installs if "--require-hashes" not in line]
    assert all("--no-deps -e ." in line for line in others), others

    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    assert "pip wheel --require-hashes --wheel-dir /wheels -r requirements/base.txt" in dockerfile
    assert "pip wheel --no-deps --wheel-dir /wheels ." in dockerfile
    assert "COPY requirements/base.txt" in dockerfile
