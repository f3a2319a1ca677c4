"""The Kubernetes manifests render (kustomize) and validate against the API schemas."""

import kubernetes_validate
import pytest

from tests.deploy import kustomize_lite
from tests.deploy.conftest import KUBERNETES, base_name, by_kind, kustomize_command, render

SCHEMA_VERSIONS = ["1.29.0", "1.33.0", kubernetes_validate.latest_version()]
POD_SPEC_PATHS = kustomize_lite.POD_SPEC_PATHS


def pod_spec(resource: dict) -> dict:
    node = resource
    for key in POD_SPEC_PATHS[resource["kind"]]:
        node = node[key]
    return node


def workloads(resources: list[dict]) -> list[dict]:
    return [r for r in resources if r["kind"] in POD_SPEC_PATHS]


def all_containers(spec: dict) -> list[dict]:
    return spec.get("initContainers", []) + spec["containers"]


def container(resource: dict, name: str) -> dict:
    return next(c for c in pod_spec(resource)["containers"] if c["name"] == name)


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_resource_of_the_example_overlay_validates_strictly(example_overlay, version):
    assert len(example_overlay) >= 15
    for resource in example_overlay:
        kubernetes_validate.validate(resource, version, strict=True)


def test_the_base_renders_and_validates_on_its_own():
    for resource in render(KUBERNETES / "base"):
        kubernetes_validate.validate(resource, SCHEMA_VERSIONS[-1], strict=True)


def test_web_is_probed_on_readyz_and_healthz_behind_an_nginx_sidecar(example_overlay):
    web = by_kind(example_overlay, "Deployment")["stratum-web"]
    app = container(web, "app")
    assert app["args"] == ["web"]
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # The probe's Host must be one ALLOWED_HOSTS accepts, or Django answers 400.
    config = next(c for c in example_overlay if base_name(c) == "stratum-config")
    allowed = config["data"]["ALLOWED_HOSTS"].split(",")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in app[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed
    nginx = container(web, "nginx")
    assert nginx["image"].startswith("registry.example.org/stratum/stratum-nginx:")
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_worker_has_a_liveness_probe_and_outlasts_the_task_time_limit(example_overlay):
    worker = by_kind(example_overlay, "Deployment")["stratum-worker"]
    assert container(worker, "worker")["args"] == ["worker"]
    assert "livenessProbe" in container(worker, "worker")
    # CELERY_TASK_TIME_LIMIT is 180 s: a rolling update lets running tasks finish.
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > 180


def test_beat_is_a_single_replica_recreated_never_rolled(example_overlay):
    beat = by_kind(example_overlay, "Deployment")["stratum-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in by_kind(example_overlay, "HorizontalPodAutoscaler").values()
    }
    assert "stratum-beat" not in targets


def test_web_and_worker_scale_with_hpas_that_own_the_replica_count(example_overlay):
    hpas = by_kind(example_overlay, "HorizontalPodAutoscaler")
    deployments = by_kind(example_overlay, "Deployment")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "stratum-web",
        "stratum-worker",
    }
    for hpa in hpas.values():
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        assert "replicas" not in target["spec"], "kubectl apply would fight the HPA"
        assert hpa["spec"]["minReplicas"] >= 1
    assert hpas["stratum-web"]["spec"]["minReplicas"] >= 2
    assert hpas["stratum-worker"]["spec"]["minReplicas"] == 2  # the overlay's patch


def test_migrations_run_once_in_a_job_and_pods_wait_for_them(example_overlay):
    job = by_kind(example_overlay, "Job")["stratum-migrate"]
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    for name in ("stratum-web", "stratum-worker", "stratum-beat"):
        spec = pod_spec(by_kind(example_overlay, "Deployment")[name])
        init = {c["name"]: c for c in spec["initContainers"]}
        assert "migrate --check" in " ".join(init["wait-for-migrations"]["args"])
        assert all(c.get("args", [None])[0] != "migrate" for c in spec["containers"])


def test_every_container_has_requests_and_limits(example_overlay):
    for resource in workloads(example_overlay):
        for c in all_containers(pod_spec(resource)):
            for bound in ("requests", "limits"):
                assert set(c["resources"][bound]) >= {"cpu", "memory"}, (
                    resource["metadata"]["name"],
                    c["name"],
                )


def test_every_pod_meets_the_restricted_pod_security_standard(example_overlay):
    namespace = by_kind(example_overlay, "Namespace")["stratum"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for resource in workloads(example_overlay):
        spec = pod_spec(resource)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for c in all_containers(spec):
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"]["drop"] == ["ALL"]
            assert context.get("runAsUser", spec["securityContext"].get("runAsUser")) != 0


def test_environment_comes_from_the_generated_configmap_and_secret(example_overlay):
    names = {r["metadata"]["name"] for r in example_overlay if r["kind"] in {"ConfigMap", "Secret"}}
    for resource in workloads(example_overlay):
        for c in all_containers(pod_spec(resource)):
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                assert ref["name"] in names, f"{ref['name']} is not generated"
    secret = next(r for r in example_overlay if base_name(r) == "stratum-secrets")
    assert set(secret["data"]) >= {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"}


def test_the_ingress_reaches_the_web_service_and_allows_large_uploads(example_overlay):
    ingress = by_kind(example_overlay, "Ingress")["stratum"]
    service = by_kind(example_overlay, "Service")["stratum-web"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "stratum-web"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert ingress["spec"]["rules"][0]["host"] == "stratum.trust.example.org"
    assert (
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "2064m"
    )
    assert (
        service["spec"]["selector"]
        == by_kind(example_overlay, "Deployment")["stratum-web"]["spec"]["selector"]["matchLabels"]
    )


def test_the_overlay_sets_registry_images_everywhere(example_overlay):
    for resource in workloads(example_overlay):
        for c in all_containers(pod_spec(resource)):
            assert c["image"].startswith("registry.example.org/stratum/"), c["image"]
            assert c["image"].endswith(":1.0.0")


@pytest.mark.skipif(kustomize_command() is None, reason="no kubectl or kustomize to compare with")
def test_the_fallback_renderer_agrees_with_kustomize():
    directory = KUBERNETES / "overlays" / "example"
    real = render(directory)
    lite = kustomize_lite.render(directory)
    assert sorted((r["kind"], base_name(r)) for r in real) == sorted(
        (r["kind"], r["metadata"]["name"]) for r in lite
    )
    for resource in lite:
        match = next(
            r
            for r in real
            if r["kind"] == resource["kind"] and base_name(r) == resource["metadata"]["name"]
        )
        if resource["kind"] in POD_SPEC_PATHS:
            assert [c["image"] for c in all_containers(pod_spec(resource))] == [
                c["image"] for c in all_containers(pod_spec(match))
            ]
            assert pod_spec(resource)["containers"][0].get("resources") == pod_spec(match)[
                "containers"
            ][0].get("resources")
        kubernetes_validate.validate(resource, SCHEMA_VERSIONS[-1], strict=True)


def test_the_sidecar_trusts_the_ingress_for_the_scheme_or_https_would_loop(example_overlay):
    nginx_config = next(c for c in example_overlay if base_name(c) == "stratum-nginx")["data"]
    assert nginx_config["NGINX_TRUSTED_PROXY_CIDR"] == "10.244.0.0/16"  # the overlay's merge
    assert nginx_config["NGINX_TLS_INCLUDE"].endswith("no-tls.snippet")  # TLS ends at the ingress
    assert nginx_config["NGINX_UPSTREAM"] == "127.0.0.1:8000"
