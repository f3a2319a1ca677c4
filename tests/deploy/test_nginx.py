"""deploy/nginx: the template renders, nginx accepts it, and its limits match the app's."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.deploy.conftest import DEPLOY, KUBERNETES

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
TEMPLATE = (DEPLOY / "nginx" / "stratum.conf").read_text()
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def size_in_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def template_placeholders() -> set[str]:
    names = set()
    for name in ("stratum.conf", "tls.snippet", "no-tls.snippet"):
        names |= set(PLACEHOLDER.findall((DEPLOY / "nginx" / name).read_text()))
    return names


def render(tmp_path: Path, **overrides) -> Path:
    values = {
        "NGINX_SERVER_NAME": "localhost",
        "NGINX_HTTP_PORT": "127.0.0.1:18981",
        "NGINX_HTTPS_PORT": "127.0.0.1:18982",
        "NGINX_TLS_INCLUDE": str(tmp_path / "out" / "no-tls.snippet"),
        "NGINX_TLS_CERTIFICATE": str(tmp_path / "tls.crt"),
        "NGINX_TLS_CERTIFICATE_KEY": str(tmp_path / "tls.key"),
        "NGINX_UPSTREAM": "127.0.0.1:18983",
        "NGINX_STATIC_ROOT": str(tmp_path / "static"),
        "NGINX_MEDIA_ROOT": str(tmp_path / "media"),
        "NGINX_TRUSTED_PROXY_CIDR": "127.0.0.1/32",
        "NGINX_CLIENT_MAX_BODY_SIZE": "2064m",
        **overrides,
    }
    result = subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "render_nginx.py"),
            str(DEPLOY / "nginx"),
            str(tmp_path / "out"),
        ],
        env={**os.environ, **values},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


def nginx_test(tmp_path: Path, out: Path) -> subprocess.CompletedProcess:
    for name in ("logs", "static", "media"):
        (tmp_path / name).mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n client_body_temp_path {tmp_path}/body;\n"
        f" proxy_temp_path {tmp_path}/proxy;\n include {out}/stratum.conf;\n}}\n"
    )
    return subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_only_nginx_prefixed_placeholders_are_used():
    # The nginx image's envsubst would also replace ${HOME}-like names; keep to our own.
    assert template_placeholders()
    assert all(name.startswith("NGINX_") for name in template_placeholders())


def test_every_placeholder_has_a_value_in_the_image_compose_and_kubernetes():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    compose_env = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["nginx"][
        "environment"
    ]
    kustomization = yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())
    pod_env = next(g for g in kustomization["configMapGenerator"] if g["name"] == "stratum-nginx")[
        "literals"
    ]
    pod_names = {literal.split("=", 1)[0] for literal in pod_env}
    for name in template_placeholders():
        assert f"{name}=" in dockerfile, f"{name} has no default in the nginx image"
        if name not in {"NGINX_HTTPS_PORT", "NGINX_TLS_CERTIFICATE", "NGINX_TLS_CERTIFICATE_KEY"}:
            assert name in pod_names, f"{name} missing from the Kubernetes nginx ConfigMap"
        assert name in compose_env, f"{name} missing from the compose nginx service"


def test_rendering_fails_loudly_on_a_missing_value(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NGINX_")}
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "render_nginx.py"), str(DEPLOY / "nginx"), str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no value for NGINX_" in result.stderr


def test_the_upload_limit_admits_the_apps_largest_upload_and_little_more():
    limit = size_in_bytes("2064m")
    assert settings.STRATUM_UPLOAD_MAX_BYTES == 2 * 1024**3
    assert (
        settings.STRATUM_UPLOAD_MAX_BYTES
        < limit
        <= settings.STRATUM_UPLOAD_MAX_BYTES + 64 * 1024**2
    )
    assert "client_max_body_size ${NGINX_CLIENT_MAX_BODY_SIZE};" in TEMPLATE
    assert "NGINX_CLIENT_MAX_BODY_SIZE=2064m" in (DEPLOY / "Dockerfile").read_text()


def test_protected_files_are_internal_only_and_match_the_x_accel_prefix():
    block = TEMPLATE[TEMPLATE.index("location /protected/ {") :]
    block = block[: block.index("\n    }")]
    assert "internal;" in block
    assert "alias ${NGINX_MEDIA_ROOT}/;" in block
    assert "X_ACCEL_REDIRECT_PREFIX=/protected/" in (DEPLOY / "Dockerfile").read_text()


def test_the_app_gets_the_request_id_and_the_client_address():
    for header in (
        "X-Request-ID $stratum_request_id",
        "X-Real-IP $remote_addr",
        "X-Forwarded-Proto $stratum_forwarded_proto",
    ):
        assert f"proxy_set_header {header};" in TEMPLATE


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed here")
def test_nginx_accepts_the_rendered_configuration_without_tls(tmp_path):
    result = nginx_test(tmp_path, render(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(NGINX is None or not shutil.which("openssl"), reason="nginx or openssl missing")
def test_nginx_accepts_the_rendered_configuration_with_tls(tmp_path):
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "tls.key"),
            "-out",
            str(tmp_path / "tls.crt"),
        ],
        capture_output=True,
        check=True,
    )
    out = render(tmp_path, NGINX_TLS_INCLUDE=str(tmp_path / "out" / "tls.snippet"))
    assert "listen 127.0.0.1:18982 ssl;" in (out / "tls.snippet").read_text()
    result = nginx_test(tmp_path, out)
    assert result.returncode == 0, result.stderr
