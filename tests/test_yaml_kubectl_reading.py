"""`kaze-policy scan` reads manifests as kubectl does: YAML 1.1 booleans, tags, merge keys,
a byte order mark, a single-quoted scalar closed at its key's indent. Each case is a
KZ-TEN-05 failing fixture respelt the way kubectl still reads as host access."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.sources.yaml_stream import load_stream
from tests.conftest import FIXTURES, run_cli

CASES = FIXTURES / "KZ-TEN-05" / "fail"


def scan_case(tmp_path: Path, case: str, old: str, new: str) -> dict:
    """Scan a copy of a failing KZ-TEN-05 case whose workload says `old` as `new` (the first
    line outside comments that starts with `old` after its indent)."""
    target = tmp_path / case
    shutil.copytree(CASES / case, target)
    shutil.copy(FIXTURES / "kaze-policy.yaml", tmp_path / "kaze-policy.yaml")
    workload = target / "workload.yaml"
    lines = workload.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(old) and not line.startswith("#"))
    lines[at] = lines[at].replace(old, new, 1)
    workload.write_text("".join(lines))
    result = run_cli("scan", str(target), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def status(report: dict, control: str) -> str:
    return next(c["status"] for c in report["controls"] if c["id"] == control)


@pytest.mark.parametrize("case, old, new", [
    ("hostpid-statefulset", "hostPID: true", "hostPID: On"),
    ("hostnetwork-deployment", "hostNetwork: true", "hostNetwork: yes"),
    ("hostipc-pod-shared-plane", "hostIPC: true", "hostIPC: Y"),
    ("privileged-init-container-cronjob", "privileged: true", "privileged: True"),
    ("privileged-init-container-cronjob", "privileged: true", 'privileged: !!bool "true"'),
    ("hostnetwork-deployment", "hostNetwork: true", "hostNetwork: &on ON"),  # an anchor elsewhere
])
def test_yaml_1_1_spellings_of_true_are_host_access(tmp_path: Path, case: str, old: str, new: str) -> None:
    assert status(scan_case(tmp_path, case, old, new), "KZ-TEN-05") == "fail"


@pytest.mark.parametrize("new", ["hostPID: Off", "hostPID: no", "hostPID: !!bool false"])
def test_yaml_1_1_spellings_of_false_are_not(tmp_path: Path, new: str) -> None:
    assert status(scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", new), "KZ-TEN-05") == "pass"


PRIVILEGED_BY_MERGE = """      initContainers:
      - name: init
        image: registry.kaze.io/kaze/init@sha256:0000000000000000000000000000000000000000000000000000000000000000
        securityContext:
          <<: &privileged {privileged: true}
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
      containers:
"""


def test_a_merge_key_after_an_explicit_key_wins_as_in_kubectl(tmp_path: Path) -> None:
    """`privileged: false` then `<<: *privileged`: kubectl (go-yaml v2) applies keys in order,
    so the merged `privileged: true` wins; PyYAML let the explicit key win."""
    report = scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", "hostPID: false")
    assert status(report, "KZ-TEN-05") == "pass"  # the twin without the merge passes
    workload = tmp_path / "hostpid-statefulset" / "workload.yaml"
    text = workload.read_text().replace("      containers:\n", PRIVILEGED_BY_MERGE, 1)
    text = text.replace("        securityContext:\n          allowPrivilegeEscalation: false",
                        "        securityContext:\n          privileged: false\n          <<: *privileged\n"
                        "          allowPrivilegeEscalation: false", 1)
    assert "<<: *privileged" in text
    workload.write_text(text)
    result = run_cli("scan", str(workload.parent), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert status(json.loads(result.stdout), "KZ-TEN-05") == "fail"


def test_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", "hostPID: true")
    workload = tmp_path / "hostpid-statefulset" / "workload.yaml"
    workload.write_bytes(b"\xef\xbb\xbf" + workload.read_bytes())
    result = run_cli("scan", str(workload.parent), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert status(json.loads(result.stdout), "KZ-TEN-05") == "fail"


def test_a_single_quoted_scalar_closed_at_its_keys_indent_is_read(tmp_path: Path) -> None:
    """rapidyaml refuses it, libyaml and kubectl read it: retried before calling it bad input."""
    report = scan_case(tmp_path, "hostpid-statefulset", "labels:",
                       "annotations:\n    kaze.io/note: 'holds the graph\n    of every tenant'\n  labels:")
    assert status(report, "KZ-TEN-05") == "fail"


def test_documents_keep_their_lines_when_some_need_go_yaml_rules() -> None:
    docs = load_stream(b"a: 1\n---\n# c\nb: yes\n---\nc: 2.0\n--- # end\n", "s.yaml")
    assert [(d.value, d.line) for d in docs] == [({"a": 1}, 1), ({"b": True}, 4), ({"c": 2}, 6)]
    with pytest.raises(InputError) as err:
        load_stream(b"a: 1\n---\nb: 2\n---\n\nc: !!int x\n", "s.yaml")
    assert err.value.line == 6 and "!!int" in err.value.message
