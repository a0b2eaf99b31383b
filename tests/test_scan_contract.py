"""The contract of `kaze-policy scan`: exit codes, formats, outputs, configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

DIGEST = "sha256:" + "0" * 64
CONFIG = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nregistries: [registry.kaze.io/kaze]\n"
GOOD_NS = """apiVersion: v1
kind: Namespace
metadata:
  name: tenant-acme
  labels:
    kaze.io/tenant: acme
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: tenant-acme
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: tenant-acme
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: registry.kaze.io/kaze/agent@%s
""" % DIGEST


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


@pytest.fixture
def passing(tmp_path: Path) -> Path:
    return write(tmp_path / "cell", {"kaze-policy.yaml": CONFIG, "stack.yaml": GOOD_NS})


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    bad = GOOD_NS.replace(f"registry.kaze.io/kaze/agent@{DIGEST}", "nginx:latest")
    return write(tmp_path / "cell", {"kaze-policy.yaml": CONFIG, "stack.yaml": bad})


# The contract is about exit codes, formats and configuration, judged on the first four
# controls; the whole catalog on a whole stack is tests/test_shipped_stack.py.
CONTROLS = ("--control", "KZ-TEN-01", "--control", "KZ-TEN-02", "--control", "KZ-SUP-01", "--control", "KZ-EGR-02")


def scan(*args: str):
    return run_cli("scan", *args, *CONTROLS)


def report_of(result) -> dict:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def status(report: dict, control: str) -> str:
    return next(c["status"] for c in report["controls"] if c["id"] == control)


def test_passing_target_exits_0(passing: Path) -> None:
    result = scan(str(passing), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = report_of(result)
    assert report["summary"]["fail"] == 0 and report["summary"]["error"] == 0
    assert status(report, "KZ-SUP-01") == "pass"


def test_failing_target_exits_1_and_names_resource_file_and_line(failing: Path) -> None:
    result = scan(str(failing), "--format", "json")
    assert result.returncode == 1
    control = next(c for c in report_of(result)["controls"] if c["id"] == "KZ-SUP-01")
    assert control["status"] == "fail"
    finding = control["findings"][0]
    assert finding["resource"]["id"] == "Deployment/tenant-acme/agent"
    assert finding["resource"]["file"].endswith("stack.yaml")
    assert finding["resource"]["line"] == 18
    assert finding["target"] == str(failing)
    assert "nginx:latest" in finding["message"]


def test_fail_on_threshold_above_the_failing_severity_exits_0(failing: Path, tmp_path: Path) -> None:
    # Only KZ-TEN-01 (high) fails when the namespace loses its Pod Security label.
    text = (failing / "stack.yaml").read_text().replace("nginx:latest", f"registry.kaze.io/kaze/agent@{DIGEST}")
    (failing / "stack.yaml").write_text(text.replace("    pod-security.kubernetes.io/enforce: restricted\n", ""))
    assert scan(str(failing), "--format", "json").returncode == 1
    assert scan(str(failing), "--format", "json", "--fail-on", "critical").returncode == 0


def test_several_formats_each_with_its_output(failing: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = scan(str(failing), "--format", "json", "--output", str(out / "r.json"),
                     "--format", "sarif", "--output", str(out / "r.sarif"),
                     "--format", "junit", "--output", str(out / "r.xml"), "--format", "text")
    assert result.returncode == 1
    assert json.loads((out / "r.json").read_text())["summary"]["fail"] >= 1
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    assert (out / "r.xml").read_text().startswith("<?xml")
    assert "KZ-SUP-01" in result.stdout  # the text report went to stdout


def test_two_formats_to_stdout_is_a_usage_error(passing: Path) -> None:
    result = scan(str(passing), "--format", "json", "--format", "sarif")
    assert result.returncode == 2
    assert "stdout" in result.stderr and "Traceback" not in result.stderr


def test_missing_path_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = scan(str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_config_names_the_bad_field(passing: Path) -> None:
    (passing / "kaze-policy.yaml").write_text(CONFIG + "tenants:\n- name: Not_A_Label\n  vertical: finance\n")
    result = scan(str(passing), "--format", "json")
    assert result.returncode == 2
    assert "kaze-policy.yaml" in result.stderr and "tenants/0/name" in result.stderr
    assert result.stdout == ""


def test_explicit_config_overrides_the_nearest(passing: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(CONFIG.replace("registry.kaze.io/kaze", "mirror.example.com"))
    result = scan(str(passing), "--config", str(other), "--format", "json")
    assert result.returncode == 1
    assert status(report_of(result), "KZ-SUP-01") == "fail"


def test_without_config_controls_needing_it_are_not_applicable_with_reason(passing: Path) -> None:
    (passing / "kaze-policy.yaml").unlink()
    result = scan(str(passing), "--format", "json")
    control = next(c for c in report_of(result)["controls"] if c["id"] == "KZ-SUP-01")
    assert control["status"] == "not_applicable"
    assert "registries" in control["reason"]


def test_unreachable_opa_is_error_exit_3_never_pass(failing: Path) -> None:
    result = scan(str(failing), "--format", "json", "--engine", "opa", "--opa-url", "http://127.0.0.1:9")
    assert result.returncode == 3
    report = report_of(result)
    assert report["summary"]["pass"] == 0 and report["summary"]["error"] == len(report["controls"])
    assert all("unreachable" in c["reason"] for c in report["controls"])


def test_no_partial_report_on_bad_input(tmp_path: Path, passing: Path) -> None:
    (passing / "broken.yaml").write_text("apiVersion: v1\nkind: [unclosed\n")
    out = tmp_path / "reports" / "scan.json"
    result = scan(str(passing), "--format", "json", "--output", str(out))
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_non_kubernetes_yaml_is_skipped_and_counted(passing: Path) -> None:
    write(passing, {".github/workflows/ci.yml": "on: push\njobs: {}\n", "values.yaml": "replicaCount: 2\n"})
    (passing / "helm").mkdir()
    (passing / "helm" / "values.yaml").write_text("image: {tag: x}\n")
    result = scan(str(passing), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    target = report["targets"][0]
    assert target["skipped"] == 3  # hidden folders are walked as kubectl -R walks them
    assert target["resources"] == 4  # the three objects and the configuration
    assert target["files"] == 2  # the manifests' file and the configuration's: not the skipped ones
    assert sorted(Path(s["path"]).relative_to(passing).as_posix() for s in report["skipped"]) == [
        ".github/workflows/ci.yml", "helm/values.yaml", "values.yaml"]


def test_controls_lists_the_catalog_as_json() -> None:
    result = run_cli("controls", "--format", "json")
    assert result.returncode == 0
    ids = {c["id"] for c in json.loads(result.stdout)}
    assert {"KZ-TEN-01", "KZ-TEN-02", "KZ-SUP-01", "KZ-EGR-02"} <= ids
    first = json.loads(result.stdout)[0]
    assert {"id", "title", "severity", "scopes", "reference", "frameworks"} <= set(first)


def test_controls_as_a_table() -> None:
    result = run_cli("controls", "--format", "text")
    assert result.returncode == 0 and "KZ-TEN-02" in result.stdout


def test_waiver_waives_until_its_date(failing: Path) -> None:
    waiver = ("waivers:\n- control: KZ-SUP-01\n  resource: Deployment/tenant-acme/*\n"
              "  reason: nginx is replaced by the mirrored image in release 1.5\n  by: security@kaze.io\n"
              "  until: '2999-01-01'\n")
    (failing / "kaze-policy.yaml").write_text(CONFIG + waiver)
    result = scan(str(failing), "--format", "json")
    assert result.returncode == 0, result.stdout
    control = next(c for c in report_of(result)["controls"] if c["id"] == "KZ-SUP-01")
    assert control["status"] == "waived" and control["findings"] == []
    assert control["waived"][0]["waiver"] == {"by": "security@kaze.io", "reason": "nginx is replaced by the mirrored image in release 1.5",
                                              "until": "2999-01-01"}
    (failing / "kaze-policy.yaml").write_text(CONFIG + waiver.replace("2999-01-01", "2020-01-01"))
    expired = scan(str(failing), "--format", "json")
    assert expired.returncode == 1
    assert next(c for c in report_of(expired)["controls"] if c["id"] == "KZ-SUP-01")["status"] == "fail"
