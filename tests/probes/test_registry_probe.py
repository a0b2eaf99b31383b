"""Sigstore bundles fetched from an image's OCI registry: the referrers of its digest.

The registry is go-containerregistry's (`make tools` builds it into .tools/bin/oci-registry),
once with the OCI 1.1 referrers API and once without, where the bundle is found through the
fallback tag schema that a pushing client maintains. The bundle pushed is a real one of the
Sigstore corpus: it signs another artifact than the image, so the scan finds it and says it
does not verify, where an image without referrers has no bundle at all."""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kaze_policy.probes import ProbeFailed
from kaze_policy.probes.registry import registry_bundles
from tests.cluster.apiserver import free_port
from tests.conftest import SHARED, require_input, require_tool, run_cli
from tests.webhook.support import stop

BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY = b"{}"


@pytest.fixture(scope="module", params=[True, False], ids=["referrers-api", "fallback-tag"])
def registry(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    command = [require_tool("oci-registry"), "-address", "127.0.0.1:0"] + (["-referrers"] if request.param else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = process.stdout.readline().strip()
        yield address, request.param
    finally:
        stop(process)


def _put(url: str, body: bytes, content_type: str, method: str = "PUT") -> str:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(answer.headers.get("Location") or "")


def _blob(base: str, body: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    location = _put(f"{base}/blobs/uploads/", b"", "application/octet-stream", "POST")
    upload = location if location.startswith("http") else base.split("/v2/")[0] + location
    _put(f"{upload}{'&' if '?' in upload else '?'}digest={digest}", body, "application/octet-stream")
    return {"digest": digest, "size": len(body)}


def _manifest(base: str, manifest: dict, reference: str | None = None, media_type: str = MANIFEST) -> dict:
    body = json.dumps(manifest).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    _put(f"{base}/manifests/{reference or digest}", body, media_type)
    return {"mediaType": media_type, "digest": digest, "size": len(body)}


def push_signed_image(address: str, repository: str, api: bool) -> tuple[str, bytes]:
    """An image and a Sigstore bundle attached to its digest, as cosign attaches one: the image's
    reference by digest, and the bundle's bytes."""
    require_input(SHARED / "corpora" / "sigstore" / "expected.json")
    bundle = (SHARED / "corpora" / "sigstore" / "bundle_v3_github.whl.sigstore").read_bytes()
    base = f"http://{address}/v2/{repository}"
    config = {"mediaType": "application/vnd.oci.empty.v1+json", **_blob(base, EMPTY)}
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", **_blob(base, b"agent layer")}
    image = _manifest(base, {"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [layer]}, "v1")
    referrer = _manifest(base, {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": BUNDLE_TYPE,
                                "config": config, "layers": [{"mediaType": BUNDLE_TYPE, **_blob(base, bundle)}],
                                "subject": image})
    if not api:  # the client keeps the fallback tag's index of referrers
        _manifest(base, {"schemaVersion": 2, "mediaType": INDEX,
                         "manifests": [{**referrer, "artifactType": BUNDLE_TYPE}]},
                  image["digest"].replace(":", "-"), INDEX)
    return f"{address}/{repository}@{image['digest']}", bundle


def test_the_bundles_attached_to_a_digest_are_found(registry: tuple[str, bool]) -> None:
    address, api = registry
    image, bundle = push_signed_image(address, "kaze/agent", api)
    digest = image.split("@")[1]
    assert list(registry_bundles(image, digest).values()) == [bundle]
    other = f"{address}/kaze/agent@sha256:{'c' * 64}"
    assert registry_bundles(other, other.split("@")[1]) == {}


def test_the_scan_verifies_what_the_registry_holds(registry: tuple[str, bool], tmp_path: Path) -> None:
    address, api = registry
    image, _ = push_signed_image(address, "kaze/gateway", api)
    bare = f"{address}/kaze/tool@sha256:{'d' * 64}"
    manifests = tmp_path / "cell"
    manifests.mkdir()
    (manifests / "deployment.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gateway", "namespace": "tenant-acme"},
        "spec": {"selector": {"matchLabels": {"app": "gateway"}}, "template": {
            "metadata": {"labels": {"app": "gateway"}},
            "spec": {"containers": [{"name": "gateway", "image": image}, {"name": "tool", "image": bare}]}}}}))
    done = run_cli("scan", str(manifests), "--signatures-from-registry", "--control", "KZ-SUP-02", "--format", "json",
                   "--no-progress")
    (control,) = json.loads(done.stdout)["controls"]
    messages = sorted(f["message"] for f in control["findings"])
    assert any(image in m and "does not verify against the Sigstore production trust root" in m for m in messages)
    assert any(bare in m and "no Sigstore bundle refers to" in m for m in messages), messages


def test_an_unreachable_registry_is_an_error() -> None:
    image = f"127.0.0.1:{free_port()}/kaze/agent@sha256:{'e' * 64}"
    with pytest.raises(ProbeFailed, match="cannot reach the registry"):
        registry_bundles(image, image.split("@")[1], timeout=2)
