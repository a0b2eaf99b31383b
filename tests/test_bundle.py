"""`kaze-policy bundle`: a real `opa run --server --bundle` answers as `kaze-policy scan` does.

The input posted for each object is the one the scan and the webhook give a per-object rule
(`{"id": <inventory id>, "object": <object>}`, decider.py), built from the objects kaze-policy's
own loader reads from the fixture case; the decision must name exactly the messages the scan
reports for that object.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kaze_policy import __version__
from kaze_policy.catalog import load_catalog
from kaze_policy.engine.opa_server import free_port
from kaze_policy.scan import ScanOptions, load_inventories
from tests.conftest import FIXTURES, require_tool, run_cli

pytestmark = pytest.mark.needs_opa

CATALOG = load_catalog()
START_SECONDS = 30.0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "kaze.tar.gz"
    done = run_cli("bundle", "-o", str(out), "--config", str(FIXTURES / "kaze-policy.yaml"))
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def opa_bundle_url(bundle: Path) -> Iterator[str]:
    opa = require_tool("opa")
    port = free_port()
    process = subprocess.Popen([opa, "run", "--server", "--bundle", str(bundle), "--addr", f"127.0.0.1:{port}",
                                "--disable-telemetry", "--log-level", "error"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_bundle(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_bundle(process: subprocess.Popen, url: str) -> None:
    """OPA's /health?bundles is 200 once the bundle is activated."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"opa exited: {process.stderr.read().decode(errors='replace')}")  # type: ignore[union-attr]
        try:
            if requests.get(f"{url}/health?bundles", timeout=0.5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    pytest.fail(f"opa did not activate the bundle in {START_SECONDS:.0f} s")


def scanned_messages(case: Path, control: str) -> dict[str, list[str]]:
    """`kaze-policy scan --format json`: the control's messages per resource id."""
    done = run_cli("scan", str(case), "--control", control, "--format", "json", "--no-progress")
    assert done.returncode in (0, 1), done.stderr
    result = next(c for c in json.loads(done.stdout)["controls"] if c["id"] == control)
    found: dict[str, list[str]] = {}
    for finding in result["findings"]:
        found.setdefault(finding["resource"]["id"], []).append(finding["message"])
    return {rid: sorted(messages) for rid, messages in found.items()}


def decided_messages(url: str, case: Path, control: str) -> dict[str, list[str]]:
    """The bundle's `violation` for each object of the control's kinds, one POST per object."""
    judged = CATALOG.by_id()[control]
    path = judged.package.removeprefix("data.").replace(".", "/")
    found: dict[str, list[str]] = {}
    for inventory in load_inventories(ScanOptions(paths=[str(case)], workers=1)).inventories:
        for resource in inventory.resources:
            if resource.kind not in judged.kinds:
                continue
            subject = {"id": resource.id, "object": resource.obj}  # what decider._violations gives the rule
            answer = requests.post(f"{url}/v1/data/{path}/violation", json={"input": subject}, timeout=30)
            assert answer.status_code == 200, answer.text
            violations: list[dict[str, Any]] = answer.json().get("result", [])
            if violations:
                found[resource.id] = sorted(v["msg"] for v in violations)
    return found


@pytest.mark.parametrize("case", ["KZ-TEN-01/fail/missing-tenancy-label", "KZ-TEN-01/pass/tenant-restricted",
                                  "KZ-SUP-01/fail/init-container-by-tag", "KZ-SUP-01/pass/digests-from-trusted-registry",
                                  "KZ-TEN-05/fail/tenant-namespace-declared-only-in-config"])
def test_the_bundle_decides_as_the_scan(opa_bundle_url: str, case: str) -> None:
    control, verdict = case.split("/")[0], case.split("/")[1]
    scanned = scanned_messages(FIXTURES / case, control)
    decided = decided_messages(opa_bundle_url, FIXTURES / case, control)
    assert decided == scanned
    assert bool(decided) == (verdict == "fail")


def test_the_bundle_holds_the_policies_a_manifest_and_the_data(bundle: Path) -> None:
    with tarfile.open(bundle) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        manifest = json.loads(tar.extractfile(".manifest").read())  # type: ignore[union-attr]
        data = json.loads(tar.extractfile("data.json").read())  # type: ignore[union-attr]
    assert names == sorted(names)
    assert not [n for n in names if n.endswith("_test.rego")]
    assert {"tenancy/namespace_labels.rego", "lib/k8s.rego"} <= set(names)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    assert manifest["roots"] == ["inventory", "kaze"]
    assert manifest["revision"].startswith(f"{__version__}-")
    assert data["inventory"]["config"]["cell"]["name"] == "agency-eu-1"
    assert data["inventory"]["namespaces"]["tenant-acme"]["tenant"] == "acme"
    assert data["inventory"]["pod_templates"]["argoproj.io/Rollout"] == ["spec", "template"]


def test_the_bundle_is_deterministic(bundle: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.tar.gz"
    done = run_cli("bundle", "-o", str(again), "--config", str(FIXTURES / "kaze-policy.yaml"))
    assert done.returncode == 0, done.stderr
    assert again.read_bytes() == bundle.read_bytes()
    other = tmp_path / "other.tar.gz"
    assert run_cli("bundle", "-o", str(other)).returncode == 0
    assert other.read_bytes() != bundle.read_bytes()  # another configuration: another revision


def test_an_unwritable_output_is_bad_usage(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = run_cli("bundle", "-o", str(tmp_path / "file" / "kaze.tar.gz"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
