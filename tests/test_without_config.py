"""No kaze-policy.yaml: what fails under every configuration fails; only the rest is undecided.

Each target here sits in a fresh temporary folder, with no kaze-policy.yaml in or above it.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import FIXTURES, run_cli
from tests.test_scan_contract import DIGEST, GOOD_NS, write


def stack(image: str) -> str:
    """The contract's compliant tenant namespace and workload, running this image."""
    return GOOD_NS.replace(f"registry.kaze.io/kaze/agent@{DIGEST}", image)


def cluster_role(name: str, group: str, resource: str, verbs: str) -> str:
    return f"""---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {name}
rules:
- apiGroups: ["{group}"]
  resources: [{resource}]
  verbs: [{verbs}]
"""


def rbac_binding(kind: str, name: str, role: str, subject: str, namespace: str | None = None) -> str:
    where = f"\n  namespace: {namespace}" if namespace else ""
    return f"""---
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: {name}{where}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {role}
subjects:
- kind: Group
  apiGroup: rbac.authorization.k8s.io
  name: {subject}
"""


ROLES = cluster_role("deployer", "apps", "deployments", "create, update, patch") + \
    cluster_role("secret-reader", "", "secrets", "get, list")
COMPLIANT = stack(f"registry.kaze.io/kaze/agent@{DIGEST}")


def scan_json(folder: Path, *controls: str) -> tuple[int, dict]:
    args = [a for c in controls for a in ("--control", c)]
    result = run_cli("scan", str(folder), "--format", "json", *args)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def control_of(report: dict, control: str) -> dict:
    return next(c for c in report["controls"] if c["id"] == control)


def test_tag_only_image_fails_without_config(tmp_path: Path) -> None:
    cell = write(tmp_path / "cell", {"stack.yaml": stack("registry.kaze.io/kaze/agent:1.4.2")})
    code, report = scan_json(cell, "KZ-SUP-01")
    assert code == 1
    control = control_of(report, "KZ-SUP-01")
    assert control["status"] == "fail"
    assert [f["resource"]["id"] for f in control["findings"]] == ["Deployment/tenant-acme/agent"]
    assert "not pinned by digest" in control["findings"][0]["message"]
    assert "registries" in control["reason"]  # the registry part is said to be undecided


def test_digest_pinned_image_without_config_is_undecided_never_a_pass(tmp_path: Path) -> None:
    cell = write(tmp_path / "cell", {"stack.yaml": stack(f"docker.io/library/nginx@{DIGEST}")})
    code, report = scan_json(cell, "KZ-SUP-01")
    assert code == 0
    control = control_of(report, "KZ-SUP-01")
    assert control["status"] == "not_applicable" and control["findings"] == []
    assert "registries" in control["reason"]


def test_group_that_deploys_and_reads_secrets_fails_without_config(tmp_path: Path) -> None:
    rbac = ROLES + rbac_binding("ClusterRoleBinding", "release-deploy", "deployer", "release") + \
        rbac_binding("RoleBinding", "release-secrets", "secret-reader", "release", "tenant-acme")
    cell = write(tmp_path / "cell", {"stack.yaml": COMPLIANT + rbac})
    code, report = scan_json(cell, "KZ-SOD-01")
    assert code == 1
    control = control_of(report, "KZ-SOD-01")
    assert control["status"] == "fail"
    assert [f["resource"]["id"] for f in control["findings"]] == ["RoleBinding/tenant-acme/release-secrets"]
    assert control["findings"][0]["message"].startswith("Group release can both deploy and read production secrets")


def test_deploy_and_read_by_different_groups_without_config_is_undecided(tmp_path: Path) -> None:
    rbac = ROLES + rbac_binding("ClusterRoleBinding", "release-deploy", "deployer", "release") + \
        rbac_binding("ClusterRoleBinding", "ops-secrets", "secret-reader", "operators")
    cell = write(tmp_path / "cell", {"stack.yaml": COMPLIANT + rbac})
    code, report = scan_json(cell, "KZ-SOD-01")
    assert code == 0
    control = control_of(report, "KZ-SOD-01")
    assert control["status"] == "not_applicable"
    assert "identities" in control["reason"]


def test_cluster_admin_and_exec_fail_without_config_nothing_is_exempt(tmp_path: Path) -> None:
    exec_role = cluster_role("debugger", "", "pods/exec", "create")
    rbac = exec_role + rbac_binding("ClusterRoleBinding", "break-glass", "cluster-admin", "kaze:break-glass") + \
        rbac_binding("RoleBinding", "debug", "debugger", "kaze:operators", "tenant-acme")
    cell = write(tmp_path / "cell", {"stack.yaml": COMPLIANT + rbac})
    code, report = scan_json(cell, "KZ-SOD-02", "KZ-SOD-03")
    assert code == 1
    assert [f["resource"]["id"] for f in control_of(report, "KZ-SOD-02")["findings"]] == \
        ["ClusterRoleBinding/break-glass"]
    # cluster-admin holds every verb, exec included
    assert [f["resource"]["id"] for f in control_of(report, "KZ-SOD-03")["findings"]] == \
        ["ClusterRoleBinding/break-glass", "RoleBinding/tenant-acme/debug"]


def test_summary_says_in_one_line_that_no_config_was_found_and_what_is_undecided(tmp_path: Path) -> None:
    cell = write(tmp_path / "cell", {"stack.yaml": stack(f"docker.io/library/nginx@{DIGEST}")})
    result = run_cli("scan", str(cell), "--format", "text", "--control", "KZ-SUP-01", "--control", "KZ-TEN-01")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("No kaze-policy.yaml")]
    assert lines == [f"No kaze-policy.yaml found for {cell}: 1 control(s) left wholly or partly undecided: KZ-SUP-01"]

    code, report = scan_json(cell, "KZ-SUP-01", "KZ-TEN-01")
    assert report["unconfigured"] == {"targets": [str(cell)], "undecided": ["KZ-SUP-01"]}
    schema = json.loads(resources.files("kaze_policy.schemas").joinpath("report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)


def test_with_a_config_the_summary_has_no_such_line(tmp_path: Path) -> None:
    config = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n"
    cell = write(tmp_path / "cell", {"kaze-policy.yaml": config,
                                     "stack.yaml": stack(f"docker.io/library/nginx@{DIGEST}")})
    result = run_cli("scan", str(cell), "--format", "text", "--control", "KZ-SUP-01")
    assert "No kaze-policy.yaml" not in result.stdout
    code, report = scan_json(cell, "KZ-SUP-01")
    assert report["unconfigured"] is None
    assert control_of(report, "KZ-SUP-01")["status"] == "not_applicable"  # no registries configured


def copy_case(case: str, tmp_path: Path) -> Path:
    """A fixture case's inputs (not its own kaze-policy.yaml) where no configuration applies."""
    target = tmp_path / "cell"
    shutil.copytree(FIXTURES / case, target, ignore=shutil.ignore_patterns("kaze-policy.yaml", "expect.yaml"))
    return target


CERTAIN_WITHOUT_CONFIG = [
    ("KZ-SUP-02", "KZ-SUP-02/fail/unverified-signature", "ImageVerificationSnapshot/cell", "no Sigstore signature that verifies"),
    ("KZ-SEC-03", "KZ-SEC-03/fail/key-without-rotation", "VaultSnapshot/cell", "never rotates automatically"),
    ("KZ-SEC-03", "KZ-SEC-03/fail/role-max-ttl-zero", "VaultAuthRole/globex-agent", "long-lived under any bound"),
    ("KZ-EGR-01", "KZ-EGR-01/fail/no-config-dns-to-public-resolver", "Deployment/tenant-acme/agent", "not the cluster DNS"),
    ("KZ-SUP-05", "KZ-SUP-05/fail/component-without-hash", "SbomIndexSnapshot/cell", "without a hash"),
]


@pytest.mark.parametrize(("control", "case", "resource", "says"), CERTAIN_WITHOUT_CONFIG,
                         ids=[c[1] for c in CERTAIN_WITHOUT_CONFIG])
def test_what_fails_under_every_configuration_fails_without_one(control: str, case: str, resource: str, says: str,
                                                               tmp_path: Path) -> None:
    code, report = scan_json(copy_case(case, tmp_path), control)
    assert code == 1
    result = control_of(report, control)
    assert result["status"] == "fail"
    assert resource in [f["resource"]["id"] for f in result["findings"]]
    assert any(says in f["message"] for f in result["findings"])


UNDECIDED_WITHOUT_CONFIG = [
    ("KZ-SUP-05", "KZ-SUP-05/fail/denied-license", "licenses.deny"),  # main passed it: a false pass
    ("KZ-AUD-02", "KZ-AUD-02/fail/webhook-receiver", "cell.mode"),
    ("KZ-SUP-04", "KZ-SUP-04/fail/image-without-sbom", "customer-VPC"),
    ("KZ-EGR-01", "KZ-EGR-01/fail/cidr-not-on-allowlist", "allowlists"),
]


@pytest.mark.parametrize(("control", "case", "says"), UNDECIDED_WITHOUT_CONFIG, ids=[c[1] for c in UNDECIDED_WITHOUT_CONFIG])
def test_what_needs_the_configuration_is_undecided_and_summarised(control: str, case: str, says: str,
                                                                  tmp_path: Path) -> None:
    cell = copy_case(case, tmp_path)
    code, report = scan_json(cell, control)
    assert code == 0
    result = control_of(report, control)
    assert result["status"] == "not_applicable" and says in result["reason"]
    assert report["unconfigured"] == {"targets": [str(cell)], "undecided": [control]}
