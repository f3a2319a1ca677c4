"""A small pure-Python kustomize, used only when neither `kubectl kustomize` nor `kustomize`
is installed, so the manifests are still rendered and schema-validated.

It covers exactly the features deploy/kubernetes uses: resources (files and directories),
namespace, labels, configMapGenerator (literals, behaviour merge), secretGenerator (envs),
images, and strategic-merge patches (lists of named items merge by name, as in Kubernetes'
patch strategy for containers, env, volumes...). Generated names get no hash suffix: the
schemas do not care, and the cross-check test compares names without it.
"""

import base64
import copy
from pathlib import Path

import yaml

NAMED_LIST_KEYS = {"name"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def strategic_merge(base, patch):
    """Dicts merge key by key; lists of dicts with a "name" merge item by item; others replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in base + patch)
    ):
        merged = [copy.deepcopy(item) for item in base]
        index = {item["name"]: position for position, item in enumerate(merged)}
        for item in patch:
            if item["name"] in index:
                merged[index[item["name"]]] = strategic_merge(merged[index[item["name"]]], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def _literals(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def _env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return _literals([line for line in lines if line and not line.startswith("#")])


def _config_map(generator: dict, root: Path) -> dict:
    data = _literals(generator.get("literals", []))
    for env in generator.get("envs", []):
        data.update(_env_file(root / env))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": generator["name"]},
        "data": data,
    }


def _secret(generator: dict, root: Path) -> dict:
    plain = _config_map(generator, root)["data"]
    data = {key: base64.b64encode(value.encode()).decode() for key, value in plain.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": generator["name"]},
        "type": generator.get("type", "Opaque"),
        "data": data,
    }


def _find(resources: list[dict], kind: str, name: str) -> dict | None:
    return next((r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name), None)


def _apply_generator(resources: list[dict], generated: dict, behaviour: str) -> None:
    existing = _find(resources, generated["kind"], generated["metadata"]["name"])
    if existing is None:
        resources.append(generated)
    elif behaviour == "merge":
        existing["data"].update(generated["data"])
    elif behaviour == "replace":
        existing["data"] = generated["data"]
    else:
        raise ValueError(f"{generated['metadata']['name']} generated twice")


def _pod_spec(resource: dict) -> dict | None:
    node = resource
    for key in POD_SPEC_PATHS.get(resource["kind"], ()):
        node = node.get(key, {})
    return node if resource["kind"] in POD_SPEC_PATHS else None


def _set_images(resources: list[dict], images: list[dict]) -> None:
    for resource in resources:
        spec = _pod_spec(resource)
        if spec is None:
            continue
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            name = container["image"].split(":")[0]
            for image in images:
                if image["name"] == name:
                    tag = image.get("newTag") or ([*container["image"].split(":"), "latest"])[1]
                    container["image"] = f"{image.get('newName', name)}:{tag}"


def _add_labels(resources: list[dict], labels: list[dict]) -> None:
    for entry in labels:
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(entry["pairs"])
            if entry.get("includeSelectors"):
                raise NotImplementedError("labels with includeSelectors")


def render(directory: Path) -> list[dict]:
    """The resources `kustomize build directory` would print (names without hash suffixes)."""
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        target = directory / entry
        resources += render(target) if target.is_dir() else load_documents(target)
    for generator in kustomization.get("configMapGenerator", []):
        made = _config_map(generator, directory)
        _apply_generator(resources, made, generator.get("behavior", "create"))
    for generator in kustomization.get("secretGenerator", []):
        made = _secret(generator, directory)
        _apply_generator(resources, made, generator.get("behavior", "create"))
    for patch in kustomization.get("patches", []):
        for document in load_documents(directory / patch["path"]):
            target = _find(resources, document["kind"], document["metadata"]["name"])
            if target is None:
                raise ValueError(f"patch {patch['path']} matches no resource")
            resources[resources.index(target)] = strategic_merge(target, document)
    _set_images(resources, kustomization.get("images", []))
    _add_labels(resources, kustomization.get("labels", []))
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources
