"""Sigstore bundles of an image, from its OCI registry: the referrers of its digest.

How a registry lists what refers to a manifest (OCI distribution spec 1.1): the referrers API
(`GET /v2/<repository>/referrers/<digest>`, an image index), or, where the registry lacks it
(404), the fallback tag schema (the index tagged `sha256-<hex>`). Each referrer whose artifact
type is a Sigstore bundle (cosign and sigstore-python attach them so) is a manifest whose one
layer is the bundle: its blob is read, at most MAX_BUNDLE_BYTES.

Registries are read over HTTPS, anonymously (a registry that asks for a token is told no one:
its bundles are then unreadable, an error, never a pass); a loopback registry (localhost,
127.0.0.1) over plain HTTP, as container tools treat it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from kaze_policy.probes import ProbeFailed

SUPPLY_CHAIN_SCOPE = "supply-chain"
BUNDLE_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
INDEX_TYPES = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json"
MAX_BUNDLE_BYTES = 1024 * 1024
MAX_REFERRERS = 64
# A referrer listed with no artifact type, or with its config's empty type (some registries
# report that instead of the manifest's own artifactType), may be a bundle: its manifest says.
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
MAYBE_BUNDLE = frozenset({EMPTY_TYPE, ""})
MAX_INDEX_BYTES = 4 * 1024 * 1024
TIMEOUT = 10.0
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def split_reference(image: str) -> tuple[str, str, str] | None:
    """`registry/repository@sha256:<hex>` → (registry, repository, digest); None without a registry
    host (a Docker Hub short name is not fetched: its bundles would come from a guess)."""
    name, at, digest = image.partition("@")
    host, slash, repository = name.partition("/")
    if not at or not slash or not ("." in host or ":" in host or host == "localhost"):
        return None
    repository = repository.rsplit(":", 1)[0] if ":" in repository.rsplit("/", 1)[-1] else repository
    return host, repository, digest


def registry_bundles(image: str, digest: str, timeout: float = TIMEOUT) -> dict[str, bytes]:
    """The Sigstore bundles attached to `digest` in the image's registry, by referrer digest."""
    parts = split_reference(image)
    if parts is None:
        return {}
    host, repository, _ = parts
    base = f"{'http' if host.split(':')[0] in LOOPBACK or host.startswith('[::1]') else 'https'}://{host}/v2/{repository}"
    index = _get_json(f"{base}/referrers/{digest}", INDEX_TYPES, host, timeout, missing_ok=True)
    if index is None:  # no referrers API here: the fallback tag schema
        index = _get_json(f"{base}/manifests/{digest.replace(':', '-')}", INDEX_TYPES, host, timeout, missing_ok=True)
    bundles = {}
    for descriptor in ((index or {}).get("manifests") or [])[:MAX_REFERRERS]:
        if str(descriptor.get("artifactType") or EMPTY_TYPE) not in MAYBE_BUNDLE and not str(
                descriptor.get("artifactType")).startswith(BUNDLE_TYPE_PREFIX):
            continue  # another kind of referrer (an SBOM, an attestation): not read
        manifest = _get_json(f"{base}/manifests/{descriptor['digest']}", MANIFEST_TYPES, host, timeout) or {}
        for layer in manifest.get("layers") or []:
            if str(layer.get("mediaType") or "").startswith(BUNDLE_TYPE_PREFIX):
                bundles[str(descriptor["digest"])] = _get(f"{base}/blobs/{layer['digest']}", "*/*", host, timeout,
                                                          MAX_BUNDLE_BYTES)
    return bundles


def _get_json(url: str, accept: str, host: str, timeout: float, missing_ok: bool = False) -> dict[str, Any] | None:
    try:
        body = _get(url, accept, host, timeout, MAX_INDEX_BYTES)
    except _Missing:
        if missing_ok:
            return None
        raise ProbeFailed(f"{url} is not in the registry", host, SUPPLY_CHAIN_SCOPE) from None
    try:
        value = json.loads(body)
    except ValueError:
        raise ProbeFailed(f"{url} is not JSON", host, SUPPLY_CHAIN_SCOPE) from None
    return value if isinstance(value, dict) else {}


class _Missing(Exception):
    """404: the registry has no such thing."""


def _get(url: str, accept: str, host: str, timeout: float, limit: int) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) only, built above)
            body = answer.read(limit + 1)
    except urllib.error.HTTPError as err:
        if err.code == 404:
            raise _Missing() from None
        raise ProbeFailed(f"the registry answered HTTP {err.code} to {url}", host, SUPPLY_CHAIN_SCOPE) from None
    except (urllib.error.URLError, OSError) as err:
        raise ProbeFailed(f"cannot reach the registry {host}: {getattr(err, 'reason', err)}", host,
                          SUPPLY_CHAIN_SCOPE) from None
    if len(body) > limit:
        raise ProbeFailed(f"{url} is over {limit} bytes", host, SUPPLY_CHAIN_SCOPE)
    return body
