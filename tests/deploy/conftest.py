import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy import kustomize_lite

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"


def kustomize_command() -> list[str] | None:
    """The real renderer when this machine has one: kubectl's built-in kustomize or kustomize."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def render_with_tool(directory: Path) -> list[dict]:
    command = kustomize_command()
    result = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render(directory: Path) -> list[dict]:
    return render_with_tool(directory) if kustomize_command() else kustomize_lite.render(directory)


@pytest.fixture(scope="session")
def example_overlay() -> list[dict]:
    return render(KUBERNETES / "overlays" / "example")


@pytest.fixture(scope="session")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def base_name(resource: dict) -> str:
    """A generated ConfigMap/Secret name without kustomize's content-hash suffix."""
    name = resource["metadata"]["name"]
    if resource["kind"] in {"ConfigMap", "Secret"} and name.count("-") >= 2:
        head, _, suffix = name.rpartition("-")
        if len(suffix) == 10 and suffix.isalnum():
            return head
    return name
