#!/usr/bin/env bash
# Base images for deploy/Dockerfile built from Debian's package mirror, for closed networks with
# no container registry: where python:3.11-slim-bookworm and nginxinc/nginx-unprivileged cannot be
# pulled but a Debian mirror (and PyPI, for the build's pip) can be reached. It bootstraps Debian 12
# (debootstrap --variant=minbase), adds what the official images give the Dockerfile, and imports
# each tree into the local Docker daemon:
#
#   python  stratum-local/python:3.11-bookworm   Debian's python3.11 in a virtual environment at
#           /opt/python, first on the PATH, so `python` and `pip install` behave as in
#           python:3.11-slim (Debian's own python3 refuses pip installs: PEP 668)
#   nginx   stratum-local/nginx:1.22-bookworm    Debian's nginx running as uid 101 on 8080, with the
#           official image's entrypoint step that renders /etc/nginx/templates/*.template into
#           /etc/nginx/conf.d/ with envsubst (only variables set in the environment)
#
#   bash deploy/local-base-image.sh [python|nginx|all]        (root: debootstrap and chroot)
#   docker build -f deploy/Dockerfile --network host \
#     --build-arg PYTHON_IMAGE=stratum-local/python:3.11-bookworm -t stratum:1.0 .
#   docker build -f deploy/Dockerfile --network host --target nginx \
#     --build-arg PYTHON_IMAGE=stratum-local/python:3.11-bookworm \
#     --build-arg NGINX_IMAGE=stratum-local/nginx:1.22-bookworm -t stratum-nginx:1.0 .
#
# Certificates: a closed network often reaches PyPI through a TLS-inspecting proxy whose CA the
# host trusts. The certificates in LOCAL_BASE_CA_DIR (default /usr/local/share/ca-certificates,
# where Debian keeps local CAs) are added to the images' trust store so pip inside the build
# reaches PyPI as the host does; set LOCAL_BASE_CA_DIR= to add none.
#
# Environment (all optional):
#   LOCAL_BASE_MIRROR    default http://deb.debian.org/debian
#   LOCAL_BASE_SECURITY  default http://deb.debian.org/debian-security
#   LOCAL_BASE_CA_DIR    default /usr/local/share/ca-certificates
#   LOCAL_BASE_PYTHON    default stratum-local/python:3.11-bookworm
#   LOCAL_BASE_NGINX     default stratum-local/nginx:1.22-bookworm
set -euo pipefail

MIRROR="${LOCAL_BASE_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${LOCAL_BASE_SECURITY:-http://deb.debian.org/debian-security}"
CA_DIR="${LOCAL_BASE_CA_DIR-/usr/local/share/ca-certificates}"
PYTHON_TAG="${LOCAL_BASE_PYTHON:-stratum-local/python:3.11-bookworm}"
NGINX_TAG="${LOCAL_BASE_NGINX:-stratum-local/nginx:1.22-bookworm}"
WORK="$(mktemp -d /tmp/stratum-base.XXXXXX)"
PATH_ENV="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf 'local-base-image: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
  local status=$?
  for dir in "$WORK"/*/; do
    if mountpoint -q "${dir}proc"; then umount "${dir}proc" || true; fi
    if mountpoint -q "${dir}proc"; then
      log "${dir}proc is still mounted: $WORK left in place"
      exit "$status"
    fi
  done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"
command -v debootstrap >/dev/null || die "no debootstrap (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers"

# Debian 12 minbase plus PACKAGES (apt-get resolves their dependencies; debootstrap's --include
# misses virtual ones), security updates applied, apt's caches emptied.
rootfs() {
  local dir="$1" packages="$2"
  log "debootstrap bookworm from $MIRROR, then $packages"
  debootstrap --variant=minbase bookworm "$dir" "$MIRROR" \
    >"$WORK/debootstrap-${dir##*/}.log" 2>&1 \
    || { tail -20 "$dir/debootstrap/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Apt as in Docker's official Debian images: no package caches or downloaded .debs left in a
  # layer after `apt-get install` (the Dockerfile removes only the lists), no translations.
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  if [ -n "$CA_DIR" ] && compgen -G "$CA_DIR/*.crt" >/dev/null; then
    mkdir -p "$dir/usr/local/share/ca-certificates"
    cp "$CA_DIR"/*.crt "$dir/usr/local/share/ca-certificates/"
    log "added local CA certificates: $(cd "$CA_DIR" && echo *.crt)"
  fi
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount -t proc proc "$dir/proc"
  chroot "$dir" /usr/bin/env -i PATH="$PATH_ENV" DEBIAN_FRONTEND=noninteractive sh -euc '
    apt-get update -qq
    apt-get upgrade -y -qq >/dev/null
    apt-get install -y -qq --no-install-recommends ca-certificates netbase tzdata '"$packages"' >/dev/null
    update-ca-certificates >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
  ' >"$WORK/apt-${dir##*/}.log" 2>&1 \
    || { tail -20 "$WORK/apt-${dir##*/}.log" >&2; die "apt-get in the new tree failed"; }
}

# The tree as an image: docker import, with the image's ENV / CMD given as changes.
import_tree() {
  local dir="$1" tag="$2"
  shift 2
  umount "$dir/proc"
  : >"$dir/etc/resolv.conf"
  tar -C "$dir" --numeric-owner -c . | docker import "$@" - "$tag" >/dev/null
  log "imported $tag: $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
}

python_image() {
  local dir="$WORK/python"
  rootfs "$dir" "python3.11 python3.11-venv"
  chroot "$dir" /usr/bin/env -i PATH="$PATH_ENV" sh -euc '
    python3.11 -m venv /opt/python
    /opt/python/bin/python -m pip --version
  ' >&2
  import_tree "$dir" "$PYTHON_TAG" \
    --change "ENV PATH=/opt/python/bin:$PATH_ENV" \
    --change "ENV VIRTUAL_ENV=/opt/python" \
    --change "ENV LANG=C.UTF-8" \
    --change 'CMD ["python3"]'
}

# nginxinc/nginx-unprivileged's behaviour, as far as deploy/Dockerfile's nginx stage relies on
# it: uid 101, port 8080, pid and temp files under /tmp, conf.d writable by that user, templates
# rendered at start by /docker-entrypoint.sh, wget for the HEALTHCHECK.
nginx_image() {
  local dir="$WORK/nginx"
  rootfs "$dir" "nginx gettext-base wget"
  cat >"$dir/etc/nginx/nginx.conf" <<'EOF'
# nginx as nginxinc/nginx-unprivileged runs it: no root, writable paths under /tmp.
worker_processes auto;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;

events {
    worker_connections 1024;
}

http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;

    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
EOF
  cat >"$dir/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# The official nginx image's template step: /etc/nginx/templates/X.template -> /etc/nginx/conf.d/X,
# replacing only ${VAR}s that are set in the environment (nginx's own $variables stay).
set -eu
if [ -d /etc/nginx/templates ]; then
  defined="$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')"
  for template in /etc/nginx/templates/*.template; do
    [ -f "$template" ] || continue
    output="/etc/nginx/conf.d/$(basename "$template" .template)"
    envsubst "$defined" <"$template" >"$output"
    echo "docker-entrypoint.sh: rendered $template to $output"
  done
fi
exec "$@"
EOF
  chmod 0755 "$dir/docker-entrypoint.sh"
  chroot "$dir" /usr/bin/env -i PATH="$PATH_ENV" sh -euc '
    rm -f /etc/nginx/sites-enabled/* /etc/nginx/conf.d/*
    groupmod --gid 101 www-data 2>/dev/null || true
    usermod --uid 101 www-data
    mkdir -p /etc/nginx/templates
    chown -R 101:101 /etc/nginx/conf.d /var/log/nginx /var/lib/nginx
    nginx -v
  ' >&2
  import_tree "$dir" "$NGINX_TAG" \
    --change "ENV PATH=$PATH_ENV" \
    --change "USER 101" \
    --change "EXPOSE 8080" \
    --change 'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    --change 'CMD ["nginx", "-g", "daemon off;"]'
}

start=$(date +%s)
case "${1:-all}" in
  python) python_image ;;
  nginx) nginx_image ;;
  all) python_image; nginx_image ;;
  *) die "usage: $0 [python|nginx|all]" ;;
esac
log "done in $(($(date +%s) - start)) s"
