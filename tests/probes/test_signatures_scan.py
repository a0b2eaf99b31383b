"""`scan --signatures DIR`: every image digest a target runs, verified offline (KZ-SUP-02).

The signed artifact of a real production bundle of the corpus stands for an image manifest:
a Deployment runs the image of that digest, and a second image has no bundle at all."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import yaml

from tests.conftest import SHARED, require_input, run_cli

CORPUS = SHARED / "corpora" / "sigstore"
SIGNER = {"issuer": "https://token.actions.githubusercontent.com",
          "subject": "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"}


def _case(tmp_path: Path, signers: list[dict]) -> tuple[Path, str, str]:
    require_input(CORPUS / "expected.json")
    signed = hashlib.sha256((CORPUS / "bundle_v3_github.whl").read_bytes()).hexdigest()
    unsigned = "b" * 64
    folder = tmp_path / "signatures"
    folder.mkdir()
    shutil.copy(CORPUS / "bundle_v3_github.whl.sigstore", folder / f"sha256:{signed}.sigstore.json")
    manifests = tmp_path / "cell"
    manifests.mkdir()
    containers = [{"name": "signed", "image": f"registry.kaze.io/kaze/agent@sha256:{signed}"},
                  {"name": "unsigned", "image": f"registry.kaze.io/kaze/tool@sha256:{unsigned}"}]
    (manifests / "deployment.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent", "namespace": "tenant-acme"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": containers}}}}))
    (manifests / "kaze-policy.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kaze.io/v1", "kind": "KazePolicyConfig", "signers": signers}))
    return manifests, folder, unsigned


def _sup02(manifests: Path, folder: Path) -> tuple[int, dict]:
    done = run_cli("scan", str(manifests), "--signatures", str(folder), "--control", "KZ-SUP-02",
                   "--format", "json", "--no-progress")
    (control,) = json.loads(done.stdout)["controls"]
    return done.returncode, control


def test_a_verified_digest_passes_and_a_digest_without_bundle_fails(tmp_path: Path) -> None:
    manifests, folder, unsigned = _case(tmp_path, [SIGNER])
    code, control = _sup02(manifests, folder)
    assert code == 1 and control["status"] == "fail"
    (finding,) = control["findings"]
    assert f"sha256:{unsigned}" in finding["message"] and "no Sigstore bundle" in finding["message"]


def test_a_signature_from_another_signer_fails_naming_it(tmp_path: Path) -> None:
    manifests, folder, _ = _case(tmp_path, [{**SIGNER, "subject": SIGNER["subject"].replace("v0.1.2", "v9")}])
    _, control = _sup02(manifests, folder)
    messages = [f["message"] for f in control["findings"]]
    assert any("which is not a configured signer" in m and "rfc8785.py" in m for m in messages), messages


def test_a_folder_that_cannot_be_read_is_an_error_and_exit_3(tmp_path: Path) -> None:
    manifests, _, _ = _case(tmp_path, [SIGNER])
    code, control = _sup02(manifests, tmp_path / "missing")
    assert code == 3 and control["status"] == "error"
