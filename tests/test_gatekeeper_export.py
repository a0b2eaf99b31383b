"""`kaze-policy export gatekeeper`: ConstraintTemplates that Gatekeeper's own gator verifies.

`gator verify` (built from the pinned Gatekeeper, tools/gator) compiles each template as
Gatekeeper does and runs its suite: every fixture case of the control, each object reviewed
with the messages `kaze-policy serve` gives on it. The export's other promises (the fields
Gatekeeper requires, what is left out and why) are checked on the files.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.export.gatekeeper import (CONTEXT_GVKS, GATEKEEPER_VERSION, NotPortable, Adapted, adapt, check_portable,
                                           constraint_kind, go_regex, libraries, selected)
from kaze_policy.catalog import PACKAGED_POLICY_DIR
from kaze_policy.webhook.serve import CONTEXT_KINDS
from tests.conftest import FIXTURES, ROOT, require_tool, run_cli

CATALOG = load_catalog()
ADMISSION = sorted(c.id for c in CATALOG.controls if "admission" in c.scopes and c.per_object)
GATOR_SECONDS = 600


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gatekeeper") / "export"
    done = run_cli("export", "gatekeeper", "-o", str(out), "--config", str(FIXTURES / "kaze-policy.yaml"),
                   "--fixtures", str(FIXTURES), timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_gator_verifies_every_suite(exported: Path) -> None:
    gator = require_tool("gator")
    done = subprocess.run([gator, "verify", "-v", "./..."], cwd=exported, capture_output=True, text=True,
                          timeout=GATOR_SECONDS)
    assert done.returncode == 0, done.stdout + done.stderr
    expected_cases = sum(1 for suite in exported.glob("suites/*/suite.yaml") for test in load(suite)["tests"]
                         for case in test["cases"] if not case.get("skip"))
    passed = re.findall(r"^\s*--- PASS: .+\s\(", done.stdout, re.M)
    # gator -v prints a PASS line per case, per test and per suite: at least one per case ran.
    assert len(passed) >= expected_cases > 0, done.stdout
    assert "FAIL" not in done.stdout


@pytest.mark.parametrize("case, denied", [("KZ-TEN-05/fail/hostnetwork-deployment", True),
                                           ("KZ-TEN-05/pass/hardened-workloads", False)])
def test_gator_test_with_the_shipped_constraints_judges_manifests(exported: Path, case: str, denied: bool) -> None:
    """The CI gate of a team that runs gator: the exported templates and Constraints over a
    folder of manifests (its Namespaces are gator's inventory, as Gatekeeper replicates them)."""
    gator = require_tool("gator")
    files = [arg for f in sorted((FIXTURES / case).glob("*.yaml")) if f.name != "expect.yaml" for arg in ("-f", str(f))]
    done = subprocess.run([gator, "test", "-f", str(exported / "templates" / "kz-ten-05.yaml"),
                           "-f", str(exported / "constraints" / "kz-ten-05.yaml"), *files],
                          capture_output=True, text=True, timeout=GATOR_SECONDS)
    assert done.returncode == (1 if denied else 0), done.stdout + done.stderr
    assert ("uses hostNetwork" in done.stdout) == denied


def test_the_admission_controls_are_exported_the_others_said_why(exported: Path) -> None:
    templates = sorted(p.stem.upper() for p in exported.glob("templates/*.yaml"))
    assert templates == ADMISSION
    assert sorted(p.stem.upper() for p in exported.glob("constraints/*.yaml")) == ADMISSION
    readme = (exported / "README.md").read_text()
    for control in CATALOG.controls:
        if control.id not in ADMISSION:
            assert re.search(rf"^\| {control.id} \| .+ \|$", readme, re.M), f"{control.id} is not said to be left out"


def test_each_template_is_what_gatekeeper_requires(exported: Path) -> None:
    for path in sorted(exported.glob("templates/*.yaml")):
        doc = load(path)
        assert doc["apiVersion"] == "templates.gatekeeper.sh/v1" and doc["kind"] == "ConstraintTemplate"
        kind = doc["spec"]["crd"]["spec"]["names"]["kind"]
        assert doc["metadata"]["name"] == kind.lower()
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", kind)
        schema = doc["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"]
        assert set(schema["properties"]) == {"config", "repository"}
        (target,) = doc["spec"]["targets"]
        assert target["target"] == "admission.k8s.gatekeeper.sh"
        (code,) = target["code"]
        assert code["engine"] == "Rego" and code["source"]["version"] == "v1"
        rego, libs = code["source"]["rego"], code["source"]["libs"]
        assert re.search(r"^violation contains \{\"msg\": msg", rego, re.M)
        for module in [rego, *libs]:
            assert "import rego.v1" not in module
            assert "input.object" not in module and "data.kaze." not in module
            # Gatekeeper leaves a full library path inside a literal unrewritten: imports only.
            assert not re.search(r"^(?!import )[^#\n]*\bdata\.lib\.\S+\.", module, re.M), module
            assert re.findall(r"^package (\S+)", module, re.M)
        assert all(re.match(r"(?s).*^package lib\.kaze\.\w+$", lib, re.M) for lib in libs)
        assert any("package lib.kaze.context" in lib for lib in libs)
        constraint = load(exported / "constraints" / path.name)
        assert constraint["kind"] == kind and constraint["apiVersion"] == "constraints.gatekeeper.sh/v1beta1"
        assert constraint["spec"]["enforcementAction"] in ("deny", "warn", "dryrun")
        assert constraint["spec"]["match"]["kinds"][0]["apiGroups"] == ["*"]
        assert constraint["spec"]["parameters"]["config"]["cell"]["name"] == "agency-eu-1"


def test_the_pod_controls_match_the_custom_kinds_that_run_pods(exported: Path) -> None:
    kinds = load(exported / "constraints" / "kz-ten-05.yaml")["spec"]["match"]["kinds"]
    assert {"apiGroups": ["argoproj.io"], "kinds": ["Rollout"]} in kinds
    assert "PersistentVolume" in kinds[0]["kinds"]
    namespaces = load(exported / "constraints" / "kz-ten-01.yaml")["spec"]["match"]["kinds"]
    assert namespaces == [{"apiGroups": ["*"], "kinds": ["Namespace"]}]


def test_gatekeeper_replicates_what_the_webhook_watches(exported: Path) -> None:
    assert set(CONTEXT_GVKS) == set(CONTEXT_KINDS)
    sync = load(exported / "sync.yaml")
    assert sync["kind"] == "SyncSet"
    assert {g["kind"] for g in sync["spec"]["gvks"]} == set(CONTEXT_KINDS)


def test_every_fixture_case_is_in_a_suite_run_or_skipped_saying_why(exported: Path) -> None:
    readme = (exported / "README.md").read_text()
    for control in ADMISSION:
        suite = load(exported / "suites" / control.lower() / "suite.yaml")
        names = [case["name"] for test in suite["tests"] for case in test["cases"]]
        for expect in sorted((FIXTURES / control).glob("*/*/expect.yaml")):
            case = f"{expect.parent.parent.name}/{expect.parent.name}"
            mine = [n for n in names if n.startswith(case + ":") or n.startswith(case + " (skipped: ")]
            assert mine, f"{control} {case} is in no suite"
            if any("(skipped: " in n for n in mine):
                assert f"| {control} | {case} | " in readme, f"{control} {case} is skipped without a word in README"


def test_a_failing_case_expects_the_webhooks_messages(exported: Path) -> None:
    suite = load(exported / "suites" / "kz-ten-05" / "suite.yaml")
    cases = {case["name"]: case for test in suite["tests"] for case in test["cases"]}
    (name,) = [n for n in cases if n.startswith("fail/hostnetwork-deployment:")]
    assertions = cases[name]["assertions"]
    assert assertions[0] == {"violations": 1}
    assert "uses hostNetwork" in assertions[1]["message"]
    assert cases[name]["inventory"], "the case's Namespaces are gator's inventory"
    passing = [c for n, c in cases.items() if n.startswith("pass/")]
    assert passing and all(c["assertions"] == [{"violations": "no"}] for c in passing)


def test_terraform_cases_are_skipped_saying_why(exported: Path) -> None:
    suite = load(exported / "suites" / "kz-sec-04" / "suite.yaml")
    skipped = [c["name"] for test in suite["tests"] for c in test["cases"] if c.get("skip")]
    assert any(n.startswith("fail/terraform-literal-password (skipped: ") and "Terraform" in n for n in skipped)


def test_a_folder_not_written_by_the_export_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    done = run_cli("export", "gatekeeper", "-o", str(tmp_path), "--fixtures", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize("rego, why", [
    ("x := object.get(data.inventory, [\"facts\", \"rbac\"], null)", "as a whole"),
    ("x := data.inventory.facts.netpol", "data.inventory.facts"),
    ("x := data.kaze.tenancy.quota_limits.violation", "data.kaze.tenancy"),
    ("x := input.ids", "input.ids"),
])
def test_what_gatekeeper_cannot_give_a_template_is_refused(rego: str, why: str) -> None:
    with pytest.raises(NotPortable, match=re.escape(why)):
        check_portable("kaze.t", f"package kaze.t\n\nimport rego.v1\n\n{rego}\n")


def test_comments_name_no_reference() -> None:
    check_portable("kaze.t", "package kaze.t\n\n# reads data.inventory.facts and input.ids\nx := input.object.kind\n")


def test_the_adapted_rego_reads_the_review() -> None:
    control = CATALOG.by_id()["KZ-TEN-07"]
    adapted: Adapted = adapt(control, libraries(CATALOG, PACKAGED_POLICY_DIR))
    assert "input.review.object" in adapted.rego and "kaze_violation contains v if" in adapted.rego
    assert "import data.lib.kaze.context as kaze_context" in adapted.rego
    assert '"resource": kaze_context.object_id' in adapted.rego
    assert constraint_kind(control) == "KazeTenancyRolebindingSubjects"


def test_messages_are_matched_whole_by_re2_patterns() -> None:
    message = "Deployment tenant-acme/agent runs image nginx:1.25 (a tag) [x]: use a digest $1"
    pattern = go_regex(message)
    assert re.fullmatch(pattern, message) and not re.fullmatch(pattern, message + "!")
    assert "\\ " not in pattern  # RE2 refuses an escaped space


def test_selected_is_the_webhooks_controls() -> None:
    chosen, others = selected(CATALOG)
    assert sorted(c.id for c in chosen) == ADMISSION
    assert set(others) == {c.id for c in CATALOG.controls} - set(ADMISSION)


def test_the_readme_names_the_gatekeeper_that_gator_is_built_from(exported: Path) -> None:
    pinned = re.search(r"github.com/open-policy-agent/gatekeeper/v3 (v\S+)", (ROOT / "tools/gator/go.mod").read_text())
    assert pinned and pinned.group(1) == GATEKEEPER_VERSION
    assert f"Gatekeeper {GATEKEEPER_VERSION}" in (exported / "README.md").read_text()
