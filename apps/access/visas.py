"""GA4GH Passport v1.2 visas for Stratum's grants (#18).

For each live grant a person holds, Stratum asserts a `ControlledAccessGrants` visa: a JWT
signed (RS256, PyJWT) with the key in `settings.STRATUM_VISA_SIGNING_KEY` (PEM), whose public
half is published as a JWKS (`/ga4gh/jwks.json`) so a downstream htsget or DRS server can check
it without calling us (docs/ga4gh-visas.md).

Lifetime: one hour (`STRATUM_VISA_LIFETIME_SECONDS`), and never past the grant's own end. A
relying system may honour a visa until its `exp` without asking again, so the lifetime is the
longest a revocation can take to reach it: an hour bounds that while a client fetches a fresh
passport far less often than per request (GA4GH AAI asks for short-lived visas for exactly
this reason). Stratum stops issuing a visa the moment a grant is revoked, suspended or ends.

Development and tests: with no key configured and `STRATUM_VISA_DEV_KEY` on (not in
production), a key is generated once and kept in `var/` (or memory for tests)."""

import base64
import hashlib
import json
import threading
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

ALGORITHM = "RS256"
VISA_TYPE = "ControlledAccessGrants"
_lock = threading.Lock()
_cached: dict[str, object] = {}


def _generate_dev_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_pem() -> bytes:
    configured = (settings.STRATUM_VISA_SIGNING_KEY or "").strip()
    if configured:
        return configured.encode()
    if not settings.STRATUM_VISA_DEV_KEY:
        raise ImproperlyConfigured("Set VISA_SIGNING_KEY (a PEM RSA private key) to issue visas.")
    path = settings.STRATUM_VISA_DEV_KEY_FILE
    if not path:  # tests: one key per process, never written anywhere
        return _cached.setdefault("dev_pem", _generate_dev_key())
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_generate_dev_key())
        path.chmod(0o600)
    return path.read_bytes()


def signing_key():
    with _lock:
        pem = _private_pem()
        if _cached.get("pem") != pem:
            _cached["pem"] = pem
            _cached["key"] = serialization.load_pem_private_key(pem, password=None)
        return _cached["key"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk() -> dict:
    """The signing key's public half as a JWK, its `kid` the RFC 7638 thumbprint."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key().public_key()))
    jwk.pop("key_ops", None)  # RFC 7517 §4.3: not beside "use", which relying parties read
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return {
        **jwk,
        "kid": _b64(hashlib.sha256(canonical.encode()).digest()),
        "use": "sig",
        "alg": ALGORITHM,
    }


def jwks() -> dict:
    return {"keys": [public_jwk()]}


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def dataset_stable_url(dataset) -> str:
    return _absolute(reverse("datasets:detail", kwargs={"pk": dataset.pk}))


def committee_url(project) -> str:
    return _absolute(reverse("access:committee_queue", kwargs={"slug": project.slug}))


def visa_for(grant, *, now=None) -> str:
    """One signed visa for a live grant (the caller checked that it is live)."""
    now = now or timezone.now()
    lifetime = settings.STRATUM_VISA_LIFETIME_SECONDS
    expires = min(int(now.timestamp()) + lifetime, int(grant.valid_until.timestamp()))
    claims = {
        "iss": settings.SITE_URL.rstrip("/") + "/",
        "sub": str(grant.user_id),
        "iat": int(now.timestamp()),
        "exp": expires,
        "jti": str(uuid.uuid4()),
        "ga4gh_visa_v1": {
            "type": VISA_TYPE,
            "asserted": int(grant.valid_from.timestamp()),
            "value": dataset_stable_url(grant.dataset),
            "source": committee_url(grant.dataset.project),
            "by": "dac",
        },
    }
    headers = {"kid": public_jwk()["kid"], "jku": _absolute(reverse("ga4gh:jwks")), "typ": "JWT"}
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM, headers=headers)
