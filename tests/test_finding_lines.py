"""A finding points at the offending field's line (the `image:` of an unpinned container, the
`privileged:` line), not the first line of its object, in every format; a field a kustomize
patch changed or added is not in the source file: the object's line stays, never a wrong one."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

NAMESPACE = (ROOT / "fixtures/KZ-TEN-05/fail/privileged-argo-rollout/namespaces.yaml").read_text()
CONFIG = (ROOT / "fixtures/kaze-policy.yaml").read_text()
PINNED = "registry.kaze.io/kaze/agent@sha256:" + "0" * 64

WORKLOAD = f"""# a comment, so that the object does not start on line 1
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: tenant-acme
spec:
  selector:
    matchLabels: {{app: agent}}
  template:
    metadata:
      labels: {{app: agent}}
    spec:
      volumes:
      - name: cache
        emptyDir: {{}}
      - name: sock
        hostPath:
          path: /run/containerd.sock
      containers:
      - name: agent
        image: {PINNED}
      - name: sidecar
        image: docker.io/library/nginx:1.27
        securityContext:
          privileged: true
"""


def _line_of(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column of the only line holding needle."""
    (hit,) = [(n, line.index(needle) + 1) for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hit


def _scan(folder: Path, *args: str) -> dict:
    result = run_cli("scan", str(folder), "--control", "KZ-TEN-05", "--control", "KZ-SUP-01", *args)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    return result


def _findings(report: dict) -> dict[str, dict]:
    """Each finding by the field or image its evidence names."""
    return {f["evidence"].get("field") or f["evidence"]["image"]: f
            for c in report["controls"] for f in c["findings"]}


@pytest.fixture(scope="module")
def cell(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cell")
    (folder / "kaze-policy.yaml").write_text(CONFIG)
    (folder / "ns.yaml").write_text(NAMESPACE)
    (folder / "workload.yaml").write_text(WORKLOAD)
    return folder


def test_json_finding_points_at_the_offending_field(cell: Path) -> None:
    found = _findings(json.loads(_scan(cell, "--format", "json").stdout))
    expected = {"docker.io/library/nginx:1.27": _line_of(WORKLOAD, "image: docker.io"),
                "securityContext.privileged": _line_of(WORKLOAD, "privileged: true"),
                "volumes": _line_of(WORKLOAD, "hostPath:")}
    assert {key: (found[key]["location"]["line"], found[key]["location"]["column"]) for key in expected} == expected
    for finding in found.values():
        assert finding["resource"]["line"] == 2  # the object's own line is kept beside it
        assert finding["location"]["file"] == finding["resource"]["file"]


def test_sarif_region_is_the_offending_field(cell: Path) -> None:
    sarif = json.loads(_scan(cell, "--format", "sarif").stdout)
    regions = {(r["properties"]["evidence"].get("field") or r["properties"]["evidence"]["image"]):
               r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]}
    line, column = _line_of(WORKLOAD, "privileged: true")
    assert regions["securityContext.privileged"] == {"startLine": line, "startColumn": column}
    line, column = _line_of(WORKLOAD, "image: docker.io")
    assert regions["docker.io/library/nginx:1.27"] == {"startLine": line, "startColumn": column}


def test_text_and_junit_name_the_field_line(cell: Path) -> None:
    text = _scan(cell, "--format", "text").stdout
    assert f"workload.yaml:{_line_of(WORKLOAD, 'privileged: true')[0]}: KZ-TEN-05 " in text
    junit = _scan(cell, "--format", "junit").stdout
    assert f"workload.yaml:{_line_of(WORKLOAD, 'image: docker.io')[0]})" in junit


# kustomize: the origin is the base's file, where a patched field is not what was judged.

BASE = WORKLOAD.replace("privileged: true", "privileged: false").replace("docker.io/library/nginx:1.27", "nginx")
OVERLAY = """resources: [../base]
images:
- name: nginx
  newName: docker.io/library/nginx
  newTag: "1.27"
patches:
- target: {kind: Deployment, name: agent}
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/1/securityContext/privileged
      value: true
"""


def test_kustomize_patched_fields_keep_the_object_line(tmp_path: Path, kustomize: str) -> None:
    (tmp_path / "kaze-policy.yaml").write_text(CONFIG)
    files = {"base/kustomization.yaml": "resources: [ns.yaml, workload.yaml]\n", "base/ns.yaml": NAMESPACE,
             "base/workload.yaml": BASE, "overlay/kustomization.yaml": OVERLAY}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    report = json.loads(_scan(tmp_path / "overlay", "--format", "json").stdout)
    found = _findings(report)
    # Patched (privileged: false in the file) and transformed (image: nginx in the file): the object's line.
    for key in ("securityContext.privileged", "docker.io/library/nginx:1.27"):
        assert found[key]["resource"]["file"].endswith("base/workload.yaml")
        assert found[key]["location"]["line"] == 2, key
    # What the overlay left as the base wrote it points at its line in the base.
    assert found["volumes"]["location"]["line"] == _line_of(BASE, "hostPath:")[0]


# The network policies and roles a finding names carry their file and line.

def test_policies_and_roles_a_finding_names_carry_their_place() -> None:
    folder = ROOT / "fixtures/KZ-TEN-03/fail/ingress-rule-without-from"
    result = run_cli("scan", str(folder), "--control", "KZ-TEN-03", "--format", "sarif")
    assert result.returncode == 1, result.stderr
    policies = (folder / "network-policies.yaml").read_text()
    related = {r["message"]["text"]: r["physicalLocation"] for res in json.loads(result.stdout)["runs"][0]["results"]
               for r in res.get("relatedLocations", [])}
    place = related["NetworkPolicy/tenant-acme/allow-webhooks"]
    assert place["artifactLocation"]["uri"].endswith("network-policies.yaml")
    lines = policies.splitlines()
    start = place["region"]["startLine"]
    assert lines[start - 1].startswith("apiVersion") or lines[start - 1].startswith("kind")
    assert "name: allow-webhooks" in "\n".join(lines[start - 1:start + 4])


def test_role_a_binding_finding_names_carries_its_place() -> None:
    folder = ROOT / "fixtures/KZ-SOD-03/fail/exec-for-operators"
    result = run_cli("scan", str(folder), "--control", "KZ-SOD-03", "--format", "json")
    assert result.returncode == 1, result.stderr
    (finding,) = next(c for c in json.loads(result.stdout)["controls"] if c["id"] == "KZ-SOD-03")["findings"]
    (role,) = finding["related"]
    assert role["id"] == "Role/tenant-acme/debug" and role["file"].endswith("rbac.yaml")
    rbac = (folder / "rbac.yaml").read_text().splitlines()
    assert rbac[role["line"] - 1:role["line"] + 1] == ["apiVersion: rbac.authorization.k8s.io/v1", "kind: Role"]


# Only the finding's own object is read again: a finding at the end of a large file costs what
# one object costs (the round-trip loader reads ~40 KB/s; the whole of a 0.5 MB stack took 13 s).

def _stack_with_a_privileged_pod(folder: Path, n: int) -> tuple[Path, dict[str, dict]]:
    config = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v{i}\n"
                     for i in range(n))
    pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n" \
          "    securityContext:\n      privileged: true\n"
    file = folder / f"stack-{n}.yaml"
    file.write_text(config + pod)
    line = config.count("\n") + 2
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "securityContext": {"privileged": True}}]}}
    resources = {"Pod/p": {"id": "Pod/p", "kind": "Pod", "source": "kubernetes", "file": str(file), "line": line,
                           "object": obj}}
    return file, resources


def test_locating_reads_only_the_object_not_the_whole_file(tmp_path: Path) -> None:
    from kaze_policy.locate import locate
    from kaze_policy.results import Finding
    from tests.linearity import best_time

    path = ["spec", "containers", 0, "securityContext", "privileged"]

    def run(built: tuple[Path, dict[str, dict]]) -> Finding:
        file, resources = built
        os.utime(file, ns=(time.time_ns(), time.time_ns()))  # a changed file is read again: no cache
        finding = Finding(resource=resources["Pod/p"], message="m", evidence={"field_path": path}, target="t")
        locate([finding], resources)
        return finding

    small, large = _stack_with_a_privileged_pod(tmp_path, 100), _stack_with_a_privileged_pod(tmp_path, 3000)
    found = run(large)
    assert found.location["line"] == found.resource["line"] + 8  # the `privileged:` line
    ratio = best_time(run, large, 3) / best_time(run, small, 3)
    assert ratio < 12, f"locating in a file 30 times larger took {ratio:.1f} times as long"


# Every control whose evidence names a field points at that field: a literal credential's key,
# env value or flag (KZ-SEC-04), a namespace's Pod Security label (KZ-TEN-01), a proxy-bypass
# annotation (KZ-MTL-02), a cross-tenant subject (KZ-TEN-07), a database Service's type (KZ-SOD-04).

MORE_NAMESPACES = NAMESPACE + """---
apiVersion: v1
kind: Namespace
metadata:
  name: tenant-globex
  labels:
    kaze.io/tenant: globex
    pod-security.kubernetes.io/enforce: baseline
"""

FIELDS = """apiVersion: v1
kind: Secret
metadata: {name: db, namespace: tenant-acme}
stringData:
  username: agent
  password: hunter2-but-longer
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: tenant-acme}
data:
  mode: fast
  api_token: s3cr3t-value-here
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: tenant-acme}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata:
      labels: {app: worker}
      annotations:
        config.linkerd.io/skip-outbound-ports: "5432"
    spec:
      containers:
      - name: worker
        image: registry.kaze.io/kaze/worker@sha256:%s
        args: [--verbose, --db-password, opensesame-literal]
        env:
        - name: MODE
          value: fast
        - name: DB_PASSWORD
          value: opensesame-literal
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: tenant-acme}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: agent, namespace: tenant-acme}
- {kind: ServiceAccount, name: agent, namespace: tenant-globex}
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: tenant-acme}
spec:
  selector: {app: postgres}
  ports: [{port: 5432}]
  type: LoadBalancer
""" % ("0" * 64)


def test_every_field_a_finding_names_is_its_line(tmp_path: Path) -> None:
    (tmp_path / "kaze-policy.yaml").write_text(CONFIG)
    (tmp_path / "ns.yaml").write_text(MORE_NAMESPACES)
    (tmp_path / "fields.yaml").write_text(FIELDS)
    controls = [arg for c in ("KZ-SEC-04", "KZ-TEN-01", "KZ-MTL-02", "KZ-TEN-07", "KZ-SOD-04") for arg in ("--control", c)]
    result = run_cli("scan", str(tmp_path), *controls, "--format", "json")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    places = {(c["id"], f["location"]["file"].rsplit("/", 1)[-1], f["location"]["line"])
              for c in json.loads(result.stdout)["controls"] for f in c["findings"]}
    expected = {("KZ-SEC-04", "fields.yaml", _line_of(FIELDS, "password: hunter2")[0]),
                ("KZ-SEC-04", "fields.yaml", _line_of(FIELDS, "api_token:")[0]),
                ("KZ-SEC-04", "fields.yaml", _line_of(FIELDS, "args: [")[0]),
                ("KZ-SEC-04", "fields.yaml", _line_of(FIELDS, "value: opensesame")[0]),
                ("KZ-TEN-01", "ns.yaml", _line_of(MORE_NAMESPACES, "enforce: baseline")[0]),
                ("KZ-MTL-02", "fields.yaml", _line_of(FIELDS, "skip-outbound-ports")[0]),
                ("KZ-TEN-07", "fields.yaml", _line_of(FIELDS, "namespace: tenant-globex}")[0]),
                ("KZ-SOD-04", "fields.yaml", _line_of(FIELDS, "type: LoadBalancer")[0])}
    assert expected <= places, sorted(places)
