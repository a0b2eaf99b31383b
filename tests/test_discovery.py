"""What a scan reads: nothing read is not a pass, nothing is skipped in silence.

Each test here closes a hole of issue 8 that the scan had: an empty or useless input passed,
folders were left out by name or unreadable, files were recognised by where they sat,
`*.tf.json` was not read, and a kustomization that another includes was never judged.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from kaze_policy.errors import InputError
from kaze_policy.sources.discover import Found, TargetSpec, discover, find_targets
from kaze_policy.sources.files import Skipped, entry_kind
from kaze_policy.sources.load import load_data, load_target
from tests.conftest import ROOT, run_cli

TENANT_NS = """apiVersion: v1
kind: Namespace
metadata:
  name: tenant-acme
  labels:
    kaze.io/tenant: acme
    pod-security.kubernetes.io/enforce: restricted
"""
UNLABELLED_NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
PRIVILEGED_POD = """apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: tenant-acme
spec:
  containers:
  - name: agent
    image: registry.kaze.io/kaze/agent@sha256:{digest}
    securityContext:
      privileged: true
""".replace("{digest}", "0" * 64)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def scan(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI with a chosen standard input (a pipe when `stdin` is given, else /dev/null)."""
    return subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", *args, "--format", "json"],
                          input=stdin if stdin is not None else "", capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def bad_input(result: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one line on stderr holding every word, no report."""
    assert result.returncode == 2, result.stdout[:500] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


def report(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def finding_ids(report_: dict, control: str) -> set[str]:
    found = next(c for c in report_["controls"] if c["id"] == control)
    return {f["resource"]["id"] for f in found["findings"]}


# ---------------------------------------------------------------------------------------
# Nothing read is not a pass

def test_empty_folder_is_bad_input(tmp_path: Path) -> None:
    bad_input(scan(str(tmp_path)), str(tmp_path), "nothing to scan", "no file")


def test_folder_of_non_kubernetes_yaml_is_bad_input_naming_why(tmp_path: Path) -> None:
    write(tmp_path, {"values.yaml": "replicaCount: 2\n", "ci.yml": "on: push\n", "notes.txt": "hello\n"})
    bad_input(scan(str(tmp_path)), "nothing to scan", "2 files read", "not a Kubernetes object", "values.yaml",
              "notes.txt")


def test_readme_given_is_bad_input(tmp_path: Path) -> None:
    readme = write(tmp_path, {"README.md": "# A title\n\nSome words.\n"}) / "README.md"
    bad_input(scan(str(readme)), str(readme), "nothing to scan")


def test_a_configuration_above_does_not_make_an_empty_folder_scannable(tmp_path: Path) -> None:
    write(tmp_path, {"kaze-policy.yaml": "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n"})
    (tmp_path / "empty").mkdir()
    bad_input(scan(str(tmp_path / "empty")), "nothing to scan")
    # The configuration in the folder scanned is judged itself (its allowlists, say).
    assert scan(str(tmp_path), "--control", "KZ-EGR-03").returncode in (0, 1)


def test_dev_zero_is_refused_unread() -> None:
    # Read, it would never end: the scan must refuse it at once, whatever the size limit.
    bad_input(scan("/dev/zero", timeout=20), "/dev/zero", "character device", "not a regular file")


def test_fifo_given_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pods.yaml"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would block
    bad_input(scan(str(fifo), timeout=20), str(fifo), "FIFO")


def test_dev_stdin_as_a_pipe_is_refused_and_names_dash() -> None:
    bad_input(scan("/dev/stdin", stdin=TENANT_NS, timeout=20), "/dev/stdin", "not a regular file", "give -")


def test_fifo_in_a_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    write(tmp_path, {"ns.yaml": TENANT_NS})
    os.mkfifo(tmp_path / "stream.yaml")
    skipped = report(scan(str(tmp_path), "--control", "KZ-TEN-01", timeout=20))["skipped"]
    assert skipped == [{"path": str(tmp_path / "stream.yaml"), "reason": "a FIFO, not a regular file: never read"}]


def test_dash_reads_manifests_from_stdin() -> None:
    result = scan("-", "--control", "KZ-TEN-05", stdin=TENANT_NS + "---\n" + PRIVILEGED_POD)
    assert result.returncode == 1, result.stderr
    control = next(c for c in json.loads(result.stdout)["controls"] if c["id"] == "KZ-TEN-05")
    (finding,) = control["findings"]
    assert finding["resource"]["id"] == "Pod/tenant-acme/agent"
    assert finding["resource"]["file"] == "<stdin>" and finding["resource"]["line"] == 9


def test_empty_stdin_is_bad_input() -> None:
    bad_input(scan("-", stdin=""), "<stdin>", "nothing to scan")


def test_stdin_is_bounded_by_max_file_size() -> None:
    bad_input(scan("-", "--max-file-size", "100", stdin=TENANT_NS * 10), "<stdin>", "over the limit of 100")


# ---------------------------------------------------------------------------------------
# Nothing skipped in silence

def test_folders_named_like_build_output_and_dotfiles_are_scanned(tmp_path: Path) -> None:
    places = ["target", "reports", "venv", ".venv", "node_modules", "__pycache__", ".tools", ".hidden"]
    files = {f"{place}/ns.yaml": UNLABELLED_NS.format(name=f"ns-{i}") for i, place in enumerate(places)}
    files[".dotfile.yaml"] = UNLABELLED_NS.format(name="dotfile")
    write(tmp_path, files)
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-TEN-01")), "KZ-TEN-01")
    assert ids == {f"Namespace/ns-{i}" for i in range(len(places))} | {"Namespace/dotfile"}


def test_exclude_skips_what_it_names_and_reports_it(tmp_path: Path) -> None:
    write(tmp_path, {"ns.yaml": TENANT_NS, "vendor/lib/ns.yaml": UNLABELLED_NS.format(name="vendored"),
                     "scratch.tmp.yaml": UNLABELLED_NS.format(name="scratch"), ".git/config.yaml": "a: 1\n"})
    result = report(scan(str(tmp_path), "--exclude", "vendor", "--exclude", "*.tmp.yaml", "--control", "KZ-TEN-01"))
    assert finding_ids(result, "KZ-TEN-01") == set()
    assert result["skipped"] == [
        {"path": str(tmp_path / ".git"), "reason": "the version-control folder (.git) is not walked"},
        {"path": str(tmp_path / "scratch.tmp.yaml"), "reason": "excluded by --exclude '*.tmp.yaml'"},
        {"path": str(tmp_path / "vendor"), "reason": "excluded by --exclude 'vendor'"},
    ]


def test_skipped_files_are_counted_with_reasons_in_the_text_summary(tmp_path: Path) -> None:
    write(tmp_path, {"ns.yaml": TENANT_NS, "values.yaml": "a: 1\n", "notes.txt": "x\n"})
    result = run_cli("scan", str(tmp_path), "--format", "text", "--control", "KZ-TEN-01")
    assert result.returncode == 0, result.stderr
    line = next((x for x in result.stdout.splitlines() if x.startswith("2 skipped: ")), result.stdout)
    assert "not a Kubernetes object" in line and "notes.txt" in line, line


@pytest.mark.parametrize(("target", "reason"), [
    ("cell/sub", "a symbolic link to a folder: not followed (as kubectl does not follow it)"),
    ("elsewhere", "a symbolic link out of the tree: not followed"),  # what it points to is not even looked at
])
def test_symlinked_folder_is_reported_not_followed(tmp_path: Path, target: str, reason: str) -> None:
    write(tmp_path, {"cell/ns.yaml": TENANT_NS, "elsewhere/ns.yaml": UNLABELLED_NS.format(name="linked"),
                     "cell/sub/ns.yaml": TENANT_NS.replace("tenant-acme", "tenant-beta")})
    (tmp_path / "cell" / "more").symlink_to(tmp_path / target)
    result = report(scan(str(tmp_path / "cell"), "--control", "KZ-TEN-01"))
    assert result["skipped"] == [{"path": str(tmp_path / "cell" / "more"), "reason": reason}]


@pytest.fixture
def unreadable_tree() -> Iterator[Path]:
    """A folder anyone may read, with a subfolder only its owner (root) may: a real one."""
    root = Path(tempfile.mkdtemp(prefix="kaze-unreadable-"))
    try:
        root.chmod(0o755)
        write(root, {"ns.yaml": TENANT_NS, "private/ns.yaml": UNLABELLED_NS.format(name="hidden")})
        (root / "ns.yaml").chmod(0o644)
        (root / "private").chmod(0o000)
        yield root
    finally:
        (root / "private").chmod(0o755)
        shutil.rmtree(root)


# Run the CLI as someone who cannot read the subfolder: root reads every folder, so a root
# test process drops to `nobody` once the CLI is imported (the venv may not be readable by
# nobody); any other user simply runs it.
_AS_NOBODY = """
import os, sys
# Everything a scan imports, before the drop: the interpreter's own library lies in root's home,
# which nobody may read (ssl comes with the probes, lazily).
import ssl
import kaze_policy.cli as cli, kaze_policy.scan
if os.geteuid() == 0:
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
sys.argv = ["kaze-policy", "scan", sys.argv[1], "--format", "json", "--control", "KZ-TEN-01"]
cli.main()
"""


def test_unreadable_subfolder_is_bad_input(unreadable_tree: Path) -> None:
    result = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(unreadable_tree)], capture_output=True,
                            text=True, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    bad_input(result, str(unreadable_tree / "private"), "cannot read the folder", "Permission denied")


# ---------------------------------------------------------------------------------------
# A file is what it holds, not where it sits

PLAN = {"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {"resources": [
    {"address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance", "name": "db",
     "values": {"publicly_accessible": True}}]}}}


def test_kubernetes_list_with_plan_like_keys_is_kubernetes(tmp_path: Path) -> None:
    listing = {"apiVersion": "v1", "kind": "List", "format_version": "1.0", "values": {"root_module": {}},
               "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "listed"}}]}
    (tmp_path / "list.json").write_text(json.dumps(listing))
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-TEN-01")), "KZ-TEN-01")
    assert ids == {"Namespace/listed"}


def test_a_kubernetes_list_with_plan_like_keys_loads_as_its_items() -> None:
    listing = {"apiVersion": "v1", "kind": "List", "format_version": "1.0", "values": {"root_module": {}},
               "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "listed"}}]}
    resources, reason = load_data(json.dumps(listing).encode(), "list.json")
    assert ([r.id for r in resources], reason) == (["Namespace/listed"], None)


def test_plan_with_sorted_keys_is_a_plan(tmp_path: Path) -> None:
    # `jq -S` puts format_version after a long configuration: far past the first 4 KiB.
    variables = {f"v{i}": {"default": "x" * 64} for i in range(100)}
    plan = {**PLAN, "configuration": {"root_module": {"variables": variables}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan, sort_keys=True, indent=2))
    assert (tmp_path / "plan.json").read_text().index('"format_version"') > 4096
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-SOD-04")), "KZ-SOD-04")
    assert ids == {"terraform/aws_db_instance.db"}


@pytest.mark.parametrize("before", [b"\n \t\n", codecs.BOM_UTF8], ids=["blank-lines", "byte-order-mark"])
def test_a_plan_after_blank_lines_or_a_byte_order_mark_is_a_plan(before: bytes) -> None:
    resources, reason = load_data(before + json.dumps(PLAN).encode(), "plan.json")
    assert ([r.id for r in resources], reason) == (["terraform/aws_db_instance.db"], None)


def test_a_cluster_snapshot_among_other_files_is_bad_input() -> None:
    snapshot = {"apiVersion": "snapshot.kaze.io/v1", "kind": "ClusterSnapshot", "header": {}, "items": []}
    with pytest.raises(InputError) as raised:
        load_data(json.dumps(snapshot).encode(), "cell/cell.json")
    assert (raised.value.message, raised.value.file) == (
        "a cluster snapshot is scanned on its own: give its file as a path of its own", "cell/cell.json")


def test_an_entry_that_cannot_be_looked_at_is_bad_input_naming_it() -> None:
    """A file removed between the listing of its folder and its own lstat (or, for a user who
    is not root, a folder that may be listed but not searched) stops the scan, naming it."""
    class Vanished:
        path = "/tree/gone.yaml"

        def is_dir(self, follow_symlinks: bool = True) -> bool:
            return False

        def is_symlink(self) -> bool:
            return False

        def stat(self, follow_symlinks: bool = True) -> os.stat_result:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), self.path)

    with pytest.raises(InputError) as raised:
        entry_kind(Vanished(), Path("/tree"))  # type: ignore[arg-type]
    assert (raised.value.message, raised.value.file) == ("cannot read (No such file or directory)", "/tree/gone.yaml")


def test_file_named_on_the_command_line_is_read_whatever_its_name(tmp_path: Path) -> None:
    # `kubectl apply -f pods` applies it: a name without a known suffix is no reason to pass.
    (tmp_path / "pods").write_text(TENANT_NS + "---\n" + PRIVILEGED_POD)
    ids = finding_ids(report(scan(str(tmp_path / "pods"), "--control", "KZ-TEN-05")), "KZ-TEN-05")
    assert ids == {"Pod/tenant-acme/agent"}


def test_kubernetes_json_in_a_vault_roles_folder_is_kubernetes(tmp_path: Path) -> None:
    (tmp_path / "vault" / "roles").mkdir(parents=True)
    (tmp_path / "vault" / "roles" / "ns.json").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "in-vault"}}))
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-TEN-01")), "KZ-TEN-01")
    assert ids == {"Namespace/in-vault"}


# ---------------------------------------------------------------------------------------
# Terraform as Terraform reads it

def test_tf_json_files_are_loaded(tmp_path: Path) -> None:
    tf_json = {"//": "a comment", "resource": {"aws_db_instance": {"db": {
        "//": "public on purpose", "engine": "postgres", "publicly_accessible": True}}},
        "variable": [{"region": {"default": "eu-west-1"}}]}
    (tmp_path / "main.tf.json").write_text(json.dumps(tf_json, indent=2))
    inventory = load_target(find_targets([str(tmp_path)])[0])
    by_id = inventory.by_id()
    db = by_id["terraform/aws_db_instance.db"]
    assert db.obj == {"engine": "postgres", "publicly_accessible": True} and db.origin.line == 5
    assert by_id["terraform/terraform_variable.region"].obj == {"default": "eu-west-1"}
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-SOD-04")), "KZ-SOD-04")
    assert ids == {"terraform/aws_db_instance.db"}


def test_invalid_tf_json_is_bad_input_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('{\n  "resource": {\n    "aws_db_instance": [,]\n  }\n}\n')
    with pytest.raises(InputError) as err:
        load_target(find_targets([str(tmp_path)])[0])
    assert err.value.file == str(tmp_path / "main.tf.json") and err.value.line == 3


@pytest.mark.parametrize("value", ['"true"', '"1"'])
def test_bool_attribute_given_as_a_string_is_what_terraform_makes_of_it(tmp_path: Path, value: str) -> None:
    (tmp_path / "db.tf").write_text(f'resource "aws_db_instance" "db" {{\n  publicly_accessible = {value}\n}}\n')
    ids = finding_ids(report(scan(str(tmp_path), "--control", "KZ-SOD-04")), "KZ-SOD-04")
    assert ids == {"terraform/aws_db_instance.db"}


def test_bool_attribute_given_as_false_string_is_false(tmp_path: Path) -> None:
    (tmp_path / "sql.tf").write_text('resource "google_sql_database_instance" "db" {\n  settings {\n'
                                     '    ip_configuration {\n      ipv4_enabled = "false"\n    }\n  }\n}\n')
    assert finding_ids(report(scan(str(tmp_path), "--control", "KZ-SOD-04")), "KZ-SOD-04") == set()


# ---------------------------------------------------------------------------------------
# Every kustomization that can be built on its own is judged

HIDE_PRIVILEGED = """resources: [../prod]
patches:
- target: {kind: Pod, name: agent}
  patch: |-
    - op: replace
      path: /spec/containers/0/securityContext/privileged
      value: false
"""


def _prod_and_hide(root: Path) -> Path:
    return write(root, {"prod/kustomization.yaml": "resources: [ns.yaml, pod.yaml]\n", "prod/ns.yaml": TENANT_NS,
                        "prod/pod.yaml": PRIVILEGED_POD, "hide/kustomization.yaml": HIDE_PRIVILEGED})


def test_kustomization_that_another_includes_is_judged_on_its_own(tmp_path: Path, kustomize: str) -> None:
    # `hide` includes `prod` and patches the fault away; `kubectl apply -k prod` deploys it as it is.
    result = scan(str(_prod_and_hide(tmp_path)), "--control", "KZ-TEN-05")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    report_ = json.loads(result.stdout)
    assert [t["name"] for t in report_["targets"]] == [str(tmp_path / "hide"), str(tmp_path / "prod")]
    control = next(c for c in report_["controls"] if c["id"] == "KZ-TEN-05")
    (finding,) = control["findings"]
    assert finding["resource"]["id"] == "Pod/tenant-acme/agent" and finding["targets"] == [str(tmp_path / "prod")]
    assert {t["name"]: t["status"] for t in control["targets"]} == {str(tmp_path / "hide"): "pass",
                                                                    str(tmp_path / "prod"): "fail"}


def test_findings_a_base_and_its_overlays_share_are_reported_once(tmp_path: Path, kustomize: str) -> None:
    write(tmp_path, {"base/kustomization.yaml": "resources: [ns.yaml]\n",
                     "base/ns.yaml": UNLABELLED_NS.format(name="shared"),
                     "overlays/a/kustomization.yaml": "resources: [../../base]\ncommonAnnotations: {cell: a}\n",
                     "overlays/b/kustomization.yaml": "resources: [../../base]\ncommonAnnotations: {cell: b}\n"})
    result = scan(str(tmp_path), "--control", "KZ-TEN-01")
    control = next(c for c in report(result)["controls"] if c["id"] == "KZ-TEN-01")
    (finding,) = control["findings"]
    assert finding["resource"]["id"] == "Namespace/shared"
    assert finding["resource"]["file"].endswith("base/ns.yaml")
    assert finding["targets"] == [str(tmp_path / "base"), str(tmp_path / "overlays" / "a"),
                                  str(tmp_path / "overlays" / "b")]
    text = run_cli("scan", str(tmp_path), "--format", "text", "--control", "KZ-TEN-01").stdout
    (line,) = [line for line in text.splitlines() if " KZ-TEN-01 high Namespace/shared: " in line]
    assert line.endswith(f"[3 targets: {', '.join(finding['targets'])}]"), line


def test_kustomization_given_as_its_file_is_its_folder(tmp_path: Path, kustomize: str) -> None:
    kfile = _prod_and_hide(tmp_path) / "prod" / "kustomization.yaml"
    result = scan(str(kfile), "--control", "KZ-TEN-05")
    assert result.returncode == 1, result.stderr
    assert [(t["name"], t["kind"]) for t in json.loads(result.stdout)["targets"]] == [(str(kfile.parent), "kustomize")]


def test_kustomization_cycle_is_bad_input(tmp_path: Path, kustomize: str) -> None:
    write(tmp_path, {"a/kustomization.yaml": "resources: [../b]\n", "b/kustomization.yaml": "resources: [../a]\n"})
    bad_input(scan(str(tmp_path)), "kustomization.yaml", "kustomize build failed", "cycle detected")


def test_components_are_not_targets_and_an_unused_one_is_reported(tmp_path: Path, kustomize: str) -> None:
    component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [ns.yaml]\n"
    write(tmp_path, {"cell/kustomization.yaml": "resources: [ns.yaml]\ncomponents: [../used]\n",
                     "cell/ns.yaml": TENANT_NS, "used/kustomization.yaml": component,
                     "used/ns.yaml": UNLABELLED_NS.format(name="used"), "unused/kustomization.yaml": component,
                     "unused/ns.yaml": UNLABELLED_NS.format(name="unused")})
    result = report(scan(str(tmp_path), "--control", "KZ-TEN-01"))
    assert [t["name"] for t in result["targets"]] == [str(tmp_path / "cell")]
    assert [s["path"] for s in result["skipped"]] == [str(tmp_path / "unused")]
    assert "Component" in result["skipped"][0]["reason"]


def test_loose_files_form_one_target_named_by_the_folder_and_the_rest_is_skipped_with_why(tmp_path: Path) -> None:
    write(tmp_path, {"ns.yaml": TENANT_NS, "notes.txt": "x\n"})
    result = report(scan(str(tmp_path), "--control", "KZ-TEN-01"))
    assert [t["name"] for t in result["targets"]] == [str(tmp_path)]
    assert result["skipped"] == [{"path": str(tmp_path / "notes.txt"), "reason": (
        "not read: named neither *.yaml, *.yml, *.json, *.tf, *.tf.json, *.hcl nor Dockerfile")}]


@pytest.mark.needs_kustomize
def test_files_below_a_kustomization_are_its_own_even_in_subfolders(tmp_path: Path, kustomize: str) -> None:
    """kustomize reads only what the kustomization names: a file below it is not loose, and
    its name (not UTF-8 here) is neither read nor shown."""
    write(tmp_path, {"cell/kustomization.yaml": "resources: [ns.yaml]\n", "cell/ns.yaml": TENANT_NS,
                     "cell/unused/ns.yaml": UNLABELLED_NS.format(name="unused")})
    with open(os.fsencode(tmp_path / "cell") + b"/notes-\xff.yaml", "wb") as handle:
        handle.write(b"a: 1\n")
    result = report(scan(str(tmp_path), "--control", "KZ-TEN-01"))
    assert ([t["name"] for t in result["targets"]], result["skipped"]) == ([str(tmp_path / "cell")], [])
    assert finding_ids(result, "KZ-TEN-01") == set()


def test_find_targets_leaves_out_what_exclude_names(tmp_path: Path) -> None:
    write(tmp_path, {"ns.yaml": TENANT_NS, "vendor/ns.yaml": UNLABELLED_NS.format(name="vendored")})
    (spec,) = find_targets([str(tmp_path)], ("vendor",))
    assert spec.files == [tmp_path / "ns.yaml"]


def test_a_file_name_that_is_not_utf8_is_bad_input_naming_it_with_its_bytes_escaped(tmp_path: Path) -> None:
    with open(os.fsencode(tmp_path) + b"/ns-\xff.yaml", "w") as handle:
        handle.write(TENANT_NS)
    with pytest.raises(InputError) as raised:
        find_targets([str(tmp_path)])
    assert (raised.value.file, raised.value.message) == (
        f"{tmp_path}/ns-\\xff.yaml",
        "the file name is not UTF-8: a report could not name it; rename it (or leave it out with --exclude)")


def test_each_path_given_is_found_as_what_kubectl_would_make_of_it(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(TENANT_NS)
    (tmp_path / "cell").mkdir()
    (tmp_path / "cell" / "kustomization.yaml").write_text("resources: []\n")
    file, kustomization = str(tmp_path / "ns.yaml"), str(tmp_path / "cell" / "kustomization.yaml")
    assert discover(["-", file, kustomization]) == [
        Found("-", [TargetSpec(name="<stdin>", path=Path("-"), kind="files", files=[Path("-")], given="-",
                               explicit=True, stdin=True)]),
        Found(file, [TargetSpec(name=file, path=Path(file), kind="files", files=[Path(file)], given=file,
                                explicit=True)]),
        Found(kustomization, [TargetSpec(name=str(tmp_path / "cell"), path=tmp_path / "cell", kind="kustomize",
                                         given=kustomization)]),
    ]


@pytest.mark.parametrize("make, message", [
    (lambda path: None, "no such file or directory"),
    (lambda path: Path(path).parent.with_name("x.yaml").write_text(""), "cannot read (Not a directory)"),
    (os.mkfifo, "a FIFO, not a regular file: only regular files are read (standard input: give -)"),
])
def test_a_path_given_that_is_no_file_or_folder_is_bad_input_naming_it(tmp_path: Path, make: Any,
                                                                       message: str) -> None:
    given = str(tmp_path / "x.yaml" / "y.yaml") if "Not a directory" in message else str(tmp_path / "x.yaml")
    make(given)
    with pytest.raises(InputError) as raised:
        discover([given])
    assert (raised.value.message, raised.value.file) == (message, given)


def test_standard_input_given_twice_is_bad_input() -> None:
    with pytest.raises(InputError) as raised:
        discover(["-", "-"])
    assert (raised.value.message, raised.value.file) == ("standard input (-) is given more than once", None)


def test_a_component_no_kustomization_includes_is_passed_over_saying_why(tmp_path: Path) -> None:
    component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
    write(tmp_path, {"cell/kustomization.yaml": "components: [../used]\n", "used/kustomization.yaml": component,
                     "unused/kustomization.yaml": component})
    (found,) = discover([str(tmp_path)])
    assert found.given == str(tmp_path)
    assert found.skipped == [Skipped(str(tmp_path / "unused"), "a kustomize Component that no kustomization here "
                                     "includes (a Component is judged inside the kustomizations that use it)")]


def test_a_url_entry_never_names_a_folder_of_the_tree(tmp_path: Path) -> None:
    """kustomize fetches `https://example.com/base`; a folder `https:/example.com/base` of the
    tree, which the same text names as a path, is not what the overlay includes."""
    overlay = tmp_path / "overlay"
    remote_lookalike = overlay / "https:" / "example.com" / "base"
    remote_lookalike.mkdir(parents=True)
    (remote_lookalike / "kustomization.yaml").write_text("resources: []\n")
    (overlay / "kustomization.yaml").write_text("resources: ['https://example.com/base']\n")
    included = {spec.path.resolve(): spec.included for spec in find_targets([str(tmp_path)])}
    assert included[remote_lookalike.resolve()] is False


@pytest.mark.parametrize("pattern", ["skip.yaml", "sub/*"], ids=["by-its-name", "by-its-path"])
def test_an_exclude_glob_matches_a_files_name_or_its_path_below_the_folder(tmp_path: Path, pattern: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "skip.yaml").write_text(UNLABELLED_NS.format(name="skipped"))
    (tmp_path / "keep.yaml").write_text(UNLABELLED_NS.format(name="kept"))
    (spec,) = find_targets([str(tmp_path)], exclude=(pattern,))
    assert [r.name for r in load_target(spec).resources] == ["kept"]
