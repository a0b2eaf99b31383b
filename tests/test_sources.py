"""Sources: manifests with lines, List kinds, JSON, Terraform HCL and plans, targets, Kustomize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from kaze_policy.analysis.overlays import add_overlay_facts, repository_and_digest
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import Engine
from kaze_policy.errors import InputError
from kaze_policy.inventory import Inventory, Origin, Target
from kaze_policy.sources.discover import find_targets, nearest_config
from kaze_policy.sources.kubernetes import load_manifest, object_to_resource
from kaze_policy.sources.load import load_file, load_target
from kaze_policy.sources.yaml_stream import load_stream


@pytest.mark.parametrize("name", ["main.tf", "policy.hcl"])
def test_hcl_that_is_not_utf_8_is_bad_input_at_the_line_of_the_first_bad_byte(tmp_path: Path, name: str) -> None:
    data = b'\npath "kv/a" {\n  capabilities = ["\xff"]\n}\n\n\n'
    file = tmp_path / name
    file.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_file(file, tmp_path, 1 << 20)
    bad_byte = data.index(b"\xff")
    assert str(err.value) == f"{file}:3: invalid UTF-8 (byte {bad_byte})"


def test_a_vault_role_file_is_a_role_unless_it_has_both_apiversion_and_kind(tmp_path: Path) -> None:
    """A role may carry a `kind` field of its own; only an object with apiVersion and kind is a
    Kubernetes manifest there, and a role file that is no object is bad input, never skipped."""
    roles = tmp_path / "vault" / "roles"
    roles.mkdir(parents=True)
    role = roles / "agent.json"
    role.write_text('{"kind": "jwt", "name": "agent", "bound_audiences": ["kaze"]}')
    assert [r.id for r in load_file(role, tmp_path, 1 << 20)[0]] == ["VaultAuthRole/agent"]
    role.write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}')
    assert [(r.id, r.origin.file) for r in load_file(role, tmp_path, 1 << 20)[0]] == [("ConfigMap/default/c", str(role))]
    role.write_text('["kind", "jwt"]')
    with pytest.raises(InputError, match="a Vault auth role must be a JSON object") as raised:
        load_file(role, tmp_path, 1 << 20)
    assert raised.value.file == str(role)


def test_documents_that_are_no_objects_are_counted_in_the_reason_they_are_skipped(tmp_path: Path) -> None:
    from kaze_policy.sources.load import NOT_OBJECTS
    file = tmp_path / "values.yaml"
    file.write_text("# nothing yet\n")
    assert load_file(file, tmp_path, 1 << 20) == ([], "no document in it (empty, or only comments)")
    file.write_text("replicas: 3\n")
    assert load_file(file, tmp_path, 1 << 20) == ([], NOT_OBJECTS)
    file.write_text("replicas: 3\n---\nimage: nginx\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    resources, reason = load_file(file, tmp_path, 1 << 20)
    assert ([r.id for r in resources], reason) == (["Namespace/a"], f"2 documents: {NOT_OBJECTS}")


def test_documents_keep_their_lines() -> None:
    data = b"# leading comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n\n# c\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n"
    manifest = load_manifest(data, "f.yaml")
    assert [(r.name, r.origin.line) for r in manifest.resources] == [("a", 3), ("b", 9)]


def test_first_document_without_marker() -> None:
    data = b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"
    assert [r.origin.line for r in load_manifest(data, "f.yaml").resources] == [1, 5]


def test_list_kind_is_expanded_with_item_lines() -> None:
    data = b"""apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: a}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: s, namespace: a}
"""
    resources = load_manifest(data, "l.yaml").resources
    assert [(r.id, r.origin.line) for r in resources] == [("Namespace/a", 4), ("ServiceAccount/a/s", 7)]


def test_a_typed_lists_items_take_its_kind_and_api_version_and_their_lines() -> None:
    data = (b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMapList\n"
            b"items:\n  - metadata: {name: p}\n    data: {k: v}\n  - metadata: {generateName: g-}\n  - {}\n"
            b"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
    resources = load_manifest(data, "l.yaml").resources
    assert [(r.id, r.api_version, r.origin.line) for r in resources] == [
        ("Namespace/a", "v1", 1), ("ConfigMap/default/p", "v1", 8), ("ConfigMap/default/g-", "v1", 10),
        ("ConfigMap/default/(unnamed)", "v1", 11), ("Namespace/b", "v1", 13)]


def test_flow_list_items_take_the_lists_line_and_a_list_kind_without_items_is_a_resource() -> None:
    data = (b"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Namespace, metadata: {name: a}},"
            b" {apiVersion: v1, kind: Namespace, metadata: {name: b}}]\n---\n"
            b"apiVersion: example.com/v1\nkind: WidgetList\nmetadata: {name: w}\n")
    resources = load_manifest(data, "l.yaml").resources
    assert [(r.id, r.origin.line) for r in resources] == [("Namespace/a", 1), ("Namespace/b", 1),
                                                         ("WidgetList/default/w", 5)]


@pytest.mark.parametrize("data, line, message", [
    (b"apiVersion: v1\nkind: List\nitems:\n- 5\n", 4, "an item of the List is not an object"),
    (b"apiVersion: example.com/v1\nkind: WidgetList\nitems: 5\n", 1, "the items of the WidgetList are not a list"),
    (b"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n", 4,
     "an item of the List is itself a list"),
    # a plain List's items keep no kind of their own; a typed list's keep theirs, and need both
    (b"apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n", 4,
     "an item of the List has no kind or no apiVersion"),
    (b"apiVersion: v1\nkind: PodList\nitems:\n- kind: Pod\n  metadata: {name: a}\n", 4,
     "an item of the PodList has no kind or no apiVersion"),
    (b"a: 1\n---\napiVersion: v1\nmetadata: {name: a}\n", 3, "object has an apiVersion but no kind"),
    (b'apiVersion: v1\nkind: ""\n', 1, "object has an apiVersion but no kind"),
])
def test_what_kubectl_refuses_in_a_manifest_is_bad_input_at_its_line(data: bytes, line: int, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_manifest(data, "l.yaml")
    assert (err.value.file, err.value.line, err.value.message) == ("l.yaml", line, message)


def test_json_manifest_and_default_namespace() -> None:
    data = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}).encode()
    (resource,) = load_manifest(data, "c.json").resources
    assert resource.id == "ConfigMap/default/c"


def test_yaml_scalars_keep_their_types() -> None:
    (doc,) = load_stream(b"a: '1'\nb: 2\nc: true\nd: null\ne: 1.5\nf: x\n", "t.yaml")
    assert doc.value == {"a": "1", "b": 2, "c": True, "d": None, "e": 1.5, "f": "x"}


def test_non_objects_are_skipped_not_errors() -> None:
    manifest = load_manifest(b"replicaCount: 2\n---\n- a\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "v.yaml")
    assert manifest.skipped == 2 and len(manifest.resources) == 1


def test_parse_error_names_the_line() -> None:
    with pytest.raises(InputError) as err:
        load_stream(b"a: 1\nb: [1, 2\nc: }\n", "x.yaml")
    assert err.value.file == "x.yaml" and err.value.line is not None


def test_terraform_blocks_become_resources(tmp_path: Path) -> None:
    tf = tmp_path / "terraform" / "providers" / "aws" / "main.tf"
    tf.parent.mkdir(parents=True)
    tf.write_text('provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_s3_bucket" "audit" {\n'
                  '  bucket = "kaze-audit"\n  object_lock_enabled = true\n}\n\nvariable "cidr" {\n  type = string\n}\n')
    inventory = load_target(find_targets([str(tmp_path)])[0])
    by_id = inventory.by_id()
    bucket = by_id["terraform/providers/aws/aws_s3_bucket.audit"]
    assert bucket.kind == "aws_s3_bucket" and bucket.obj["bucket"] == "kaze-audit" and bucket.origin.line == 5
    assert by_id["terraform/providers/aws/terraform_provider.aws"].obj["region"] == "eu-west-1"
    assert "terraform/providers/aws/terraform_variable.cidr" in by_id


def test_terraform_plan_json(tmp_path: Path) -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance", "name": "db",
         "values": {"publicly_accessible": False}}],
        "child_modules": [{"resources": [{"address": "module.net.aws_vpc.main", "mode": "managed",
                                          "type": "aws_vpc", "name": "main", "values": {}}]}]}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    inventory = load_target(find_targets([str(tmp_path)])[0])
    assert {r.id for r in inventory.resources} == {"terraform/aws_db_instance.db", "terraform/module.net.aws_vpc.main"}


def test_vault_policy_files(tmp_path: Path) -> None:
    policy = tmp_path / "vault" / "client-acme-agent.hcl"
    policy.parent.mkdir()
    policy.write_text('path "kv/data/clients/acme/*" {\n  capabilities = ["read"]\n}\n')
    (resource,) = load_target(find_targets([str(tmp_path)])[0]).resources
    assert resource.kind == "VaultPolicy" and resource.name == "client-acme-agent"
    assert resource.obj["paths"]["kv/data/clients/acme/*"]["capabilities"] == ["read"]


def test_snapshot_turns_on_its_scope(tmp_path: Path) -> None:
    (tmp_path / "vault.json").write_text(json.dumps({"apiVersion": "snapshot.kaze.io/v1", "kind": "VaultSnapshot",
                                                     "metadata": {"name": "cell"}, "auditDevices": {}}))
    inventory = load_target(find_targets([str(tmp_path)])[0])
    assert inventory.scopes == {"iac", "vault"}


def test_nearest_config_is_found_above(tmp_path: Path) -> None:
    (tmp_path / "kaze-policy.yaml").write_text("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert nearest_config(deep) == (tmp_path / "kaze-policy.yaml").resolve()


def _kustomize_tree(root: Path) -> Path:
    base = root / "kubernetes" / "base"
    base.mkdir(parents=True)
    (base / "kustomization.yaml").write_text("resources: [ns.yaml]\n")
    (base / "ns.yaml").write_text("# the tenant namespace\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant\n"
                                  "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n  namespace: tenant\n")
    for overlay in ("cell-a", "cell-b"):
        folder = root / "kubernetes" / "overlays" / overlay
        folder.mkdir(parents=True)
        (folder / "kustomization.yaml").write_text(f"resources: [../../base]\nnamePrefix: {overlay}-\n")
    (root / "loose.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: loose}\n")
    return root


def test_every_kustomization_is_a_target_bases_included(tmp_path: Path) -> None:
    # The base can be built (and applied) on its own: it is judged on its own too.
    targets = find_targets([str(_kustomize_tree(tmp_path))])
    assert [(Path(t.path).name, t.kind) for t in targets] == [
        (tmp_path.name, "files"), ("base", "kustomize"), ("cell-a", "kustomize"), ("cell-b", "kustomize")]
    assert targets[0].files == [tmp_path / "loose.yaml"]


def test_overlay_renders_with_real_kustomize_and_traces_files(tmp_path: Path, kustomize: str) -> None:
    targets = find_targets([str(_kustomize_tree(tmp_path))])
    inventory = load_target(next(t for t in targets if t.path.name == "cell-a"))
    by_id = inventory.by_id()
    # kustomize prefixes names, but never a Namespace's
    assert set(by_id) == {"Namespace/tenant", "ServiceAccount/tenant/cell-a-agent"}
    namespace = by_id["Namespace/tenant"]
    assert namespace.origin.file.endswith("base/ns.yaml") and namespace.origin.line == 2
    assert by_id["ServiceAccount/tenant/cell-a-agent"].origin.line == 7
    assert "annotations" not in namespace.obj["metadata"]


def test_broken_kustomization_is_bad_input(tmp_path: Path, kustomize: str) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(InputError) as err:
        load_target(find_targets([str(tmp_path)])[0])
    assert "kustomize build failed" in str(err.value) and "kustomization.yaml" in str(err.value)


def test_vault_transit_keys_file(tmp_path: Path) -> None:
    keys = tmp_path / "vault" / "keys" / "transit.json"
    keys.parent.mkdir(parents=True)
    keys.write_text(json.dumps({"mount": "transit", "keys": [{"path": "transit/keys/client-acme", "auto_rotate_period": 2592000}]}))
    (resource,) = load_target(find_targets([str(tmp_path)])[0]).resources
    assert (resource.kind, resource.id) == ("VaultTransitKeys", "VaultTransitKeys/transit")
    assert resource.obj["keys"][0]["auto_rotate_period"] == 2592000


def test_vault_transit_keys_file_without_keys_is_bad_input(tmp_path: Path) -> None:
    keys = tmp_path / "vault" / "keys" / "transit.json"
    keys.parent.mkdir(parents=True)
    keys.write_text(json.dumps({"mount": "transit"}))
    with pytest.raises(InputError, match="keys"):
        load_target(find_targets([str(tmp_path)])[0])


# ---------------------------------------------------------------------------------------------
# The overlay facts' names of an image (kaze_policy/analysis/overlays.py), as KZ-POR-01 reads them

DIGEST = "sha256:" + "ab" * 32
IMAGES = [  # image, its repository, its digest (None: unpinned)
    ("nginx", "nginx", None),
    ("nginx:1.25", "nginx", None),
    (f"nginx@{DIGEST}", "nginx", DIGEST),
    (f"nginx:1.25@{DIGEST}", "nginx", DIGEST),
    ("registry.example:5000/app", "registry.example:5000/app", None),  # a port is no tag
    ("registry.example:5000/team/app:1.2", "registry.example:5000/team/app", None),
    (f"registry.example:5000/team/app:1.2@{DIGEST}", "registry.example:5000/team/app", DIGEST),
    # a digest that is no sha256 pins nothing: the tag still goes, at the first colon
    ("registry.example/app:1.0@sha256:abc", "registry.example/app", None),
    ("registry.example/odd:name/app", "registry.example/odd:name/app", None),  # only the last part has a tag
]


@pytest.fixture(scope="module")
def one_build() -> Iterator[Engine]:
    root = Path(__file__).resolve().parents[1] / "rego"
    with create_engine("embedded", None) as engine:
        engine.load_policies([root / "portability" / "one_build.rego", root / "lib" / "k8s.rego"])
        yield engine


@pytest.mark.parametrize(("image", "repository", "digest"), IMAGES, ids=[i for i, _, _ in IMAGES])
def test_an_overlay_names_an_image_by_repository_and_digest_as_kz_por_01_does(
        one_build: Engine, image: str, repository: str, digest: str | None) -> None:
    """The facts key each overlay's images by repository, holding the digest (or the whole image
    when unpinned); the policy looks another overlay's images up by its own reading of the image:
    a repository named otherwise is an overlay whose other build goes unseen."""
    assert repository_and_digest(image) == (repository, digest)
    policy = "data.kaze.portability.one_build"
    assert one_build.query(f"[{policy}.repository({json.dumps(image)}), {policy}.reference({json.dumps(image)})]") \
        == [repository, digest or image]


def _target(name: str, kind: str, *objects: dict[str, Any]) -> Inventory:
    inventory = Inventory(target=Target(name=name, path=name, kind=kind))
    inventory.add([object_to_resource(obj, Origin(f"{name}/all.yaml", 1), kind) for obj in objects])
    return inventory


def _workload(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1" if kind == "Pod" else "apps/v1", "kind": kind,
                           "metadata": {"name": name, "namespace": "apps"}}
    obj["spec"] = spec if kind == "Pod" else {"template": {"spec": spec}}
    return obj


def test_every_kustomize_target_is_given_the_images_of_every_overlay() -> None:
    """Each overlay's images, from every container list of every workload, by repository: the
    digests, or the whole image when unpinned. A base (a part) is judged against the overlays
    without being one; a target of plain files is no overlay and is compared with none."""
    pinned, hotfix = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    cell_a = _target(
        "overlays/a", "kustomize",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "apps"}},
        _workload("Deployment", "api", {
            "initContainers": [{"name": "init", "image": "registry.example/init:1"}],
            "containers": [{"name": "api", "image": f"registry.example/api:1.0@{pinned}"}, "not a container",
                           {"name": "no-image"}, {"name": "odd", "image": 42}],
            "ephemeralContainers": [{"name": "debug", "image": "registry.example/debug"}]}),
        _workload("Pod", "hotfix", {"containers": [{"name": "api", "image": f"registry.example/api@{hotfix}"}]}),
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "no-template", "namespace": "apps"},
         "spec": {}},
        _workload("Job", "no-containers", {"containers": None}))
    cell_b = _target("overlays/b", "kustomize", _workload("Deployment", "api", {"containers": [
        {"name": "api", "image": "registry.example/api:2.0"}]}))
    base = _target("base", "kustomize", _workload("Deployment", "api", {"containers": [
        {"name": "api", "image": "registry.example/base-only:1"}]}))
    files = _target("manifests", "files", _workload("Deployment", "api", {"containers": [
        {"name": "api", "image": "registry.example/files-only:1"}]}))
    add_overlay_facts([cell_a, files, cell_b, base], parts=["base"])
    overlays = {
        "overlays/a": {"registry.example/api": [pinned, hotfix], "registry.example/debug": ["registry.example/debug"],
                       "registry.example/init": ["registry.example/init:1"]},
        "overlays/b": {"registry.example/api": ["registry.example/api:2.0"]}}
    assert [inv.facts.get("overlays") for inv in (cell_a, cell_b, base, files)] == [overlays, overlays, overlays, None]


# ----------------------------------------------------------------------------- load_file, by name

DOCKERFILE = "FROM registry.kaze.io/base@sha256:" + "0" * 64 + "\nUSER 1000\n"
TERRAFORM = 'resource "aws_s3_bucket" "a" {\n  bucket = "x"\n}\n'


@pytest.mark.parametrize("name, text, ids", [
    ("Dockerfile", DOCKERFILE, ["Dockerfile/sub/Dockerfile"]),
    ("app.Dockerfile", DOCKERFILE, ["Dockerfile/sub/app.Dockerfile"]),
    ("Dockerfile.prod", DOCKERFILE, ["Dockerfile/sub/Dockerfile.prod"]),
    ("main.tf", TERRAFORM, ["terraform/sub/aws_s3_bucket.a"]),
    ("main.tf.json", json.dumps({"resource": {"aws_s3_bucket": {"b": {"bucket": "y"}}}}),
     ["terraform/sub/aws_s3_bucket.b"]),
    ("policy.hcl", 'path "kv/*" {\n  capabilities = ["read"]\n}\n', ["VaultPolicy/policy"]),
    ("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", ["Namespace/a"]),
])
def test_a_file_is_read_by_the_source_its_name_says_ids_relative_to_the_root(tmp_path: Path, name: str, text: str,
                                                                            ids: list[str]) -> None:
    file = tmp_path / "sub" / name
    file.parent.mkdir()
    file.write_text(text)
    resources, reason = load_file(file, tmp_path, 1 << 20)
    assert ([r.id for r in resources], reason) == (ids, None)
    assert all(r.origin.file == str(file) for r in resources)


@pytest.mark.parametrize("name, text, reason", [
    ("kaze-policy.yaml", "not: [valid", None),  # the configuration, read by the scan itself
    ("Dockerfile-old", DOCKERFILE, None),  # a name the scan does not read: passed over by discovery
    ("notes.txt", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", None),
    ("other.hcl", 'storage "raft" {}\n', "HCL that is neither Terraform (*.tf) nor a Vault policy (no `path` block)"),
])
def test_a_file_the_scan_does_not_judge_gives_nothing(tmp_path: Path, name: str, text: str,
                                                      reason: str | None) -> None:
    (tmp_path / name).write_text(text)
    assert load_file(tmp_path / name, tmp_path, 1 << 20) == ([], reason)


def test_a_file_named_on_the_command_line_is_a_manifest_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    resources, reason = load_file(tmp_path / "notes.txt", tmp_path, 1 << 20, explicit=True)
    assert ([r.id for r in resources], reason) == (["Namespace/a"], None)


@pytest.mark.parametrize("name", ["Dockerfile", "main.tf", "main.tf.json", "policy.hcl", "ns.yaml",
                                  "vault/roles/agent.json"])
def test_every_source_reads_within_the_size_limit(tmp_path: Path, name: str) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("#" * 100 + "\n")
    with pytest.raises(InputError) as raised:
        load_file(tmp_path / name, tmp_path, 50)
    assert (raised.value.message, raised.value.file) == (
        "file is 101 bytes, over the limit of 50 (--max-file-size)", str(tmp_path / name))


def test_a_vault_policy_over_its_own_limit_is_bad_input(tmp_path: Path) -> None:
    from kaze_policy.sources.load import MAX_VAULT_POLICY_BYTES

    policy = tmp_path / "big.hcl"
    text = 'path "kv/*" {\n  capabilities = ["read"]\n}\n'
    policy.write_text(text + "#" * (MAX_VAULT_POLICY_BYTES + 1 - len(text)) + "\n")
    with pytest.raises(InputError) as raised:
        load_file(policy, tmp_path, 1 << 20)
    size = MAX_VAULT_POLICY_BYTES + 2
    assert (raised.value.message, raised.value.file) == (
        f"a Vault policy of {size} bytes, over the limit of {MAX_VAULT_POLICY_BYTES}", str(policy))
    policy.write_text(text + "#" * (MAX_VAULT_POLICY_BYTES - 1 - len(text)) + "\n")  # the limit exactly
    assert [r.id for r in load_file(policy, tmp_path, 1 << 20)[0]] == ["VaultPolicy/big"]


@pytest.mark.parametrize("folder, ids", [
    ("vault/keys", ["VaultTransitKeys/k"]),
    ("keys", []),  # a `keys` folder outside vault/ holds manifests: this one is no object
    ("vault/other", []),
])
def test_transit_keys_are_read_from_a_keys_folder_under_vault_only(tmp_path: Path, folder: str,
                                                                  ids: list[str]) -> None:
    file = tmp_path / folder / "k.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps({"keys": [{"name": "k", "auto_rotate_period": "720h"}]}))
    assert [r.id for r in load_file(file, tmp_path, 1 << 20)[0]] == ids


def test_a_target_keeps_its_name_path_and_whether_another_includes_it(tmp_path: Path, kustomize: str) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [ns.yaml]\n")
    (tmp_path / "base" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text("resources: [../base]\n")
    targets = {spec.path.name: load_target(spec).target for spec in find_targets([str(tmp_path)])}
    assert targets == {
        "base": Target(name=str(tmp_path / "base"), path=str(tmp_path / "base"), kind="kustomize", part=True),
        "overlay": Target(name=str(tmp_path / "overlay"), path=str(tmp_path / "overlay"), kind="kustomize"),
    }


def test_a_kustomization_is_not_let_reach_the_network_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- https://github.com/example/deploy//base?ref=v1\n")
    (spec,) = find_targets([str(tmp_path)])
    with pytest.raises(InputError, match="a scan does not reach the network"):
        load_target(spec)


def test_what_a_kustomization_renders_without_apiversion_is_passed_over_naming_it(tmp_path: Path,
                                                                                  kustomize: str) -> None:
    """kustomize renders a resource without apiVersion; `kubectl apply -k` would refuse it."""
    from kaze_policy.sources.files import Skipped
    from kaze_policy.sources.load import NOT_OBJECTS

    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml, b.yaml, ns.yaml]\n")
    (tmp_path / "a.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "b.yaml").write_text("kind: ConfigMap\nmetadata: {name: b}\n")
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n")
    (spec,) = find_targets([str(tmp_path)])
    assert [r.id for r in load_target(spec).resources] == ["Namespace/n"]
    assert spec.skipped == [Skipped(str(tmp_path / "kustomization.yaml"), f"2 documents: {NOT_OBJECTS}")]


@pytest.mark.parametrize("given", ["folder", "file"])
def test_terraform_ids_are_relative_to_the_folder_given_or_the_files_folder(tmp_path: Path, given: str) -> None:
    (tmp_path / "main.tf").write_text(TERRAFORM)
    (spec,) = find_targets([str(tmp_path if given == "folder" else tmp_path / "main.tf")])
    assert [r.id for r in load_target(spec).resources] == ["terraform/aws_s3_bucket.a"]


def test_a_target_of_more_files_than_the_limit_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kaze_policy.sources import load

    monkeypatch.setattr(load, "MAX_FILES_PER_TARGET", 2)
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n")
    assert len(load_target(find_targets([str(tmp_path)])[0]).resources) == 2  # the limit exactly
    (tmp_path / "c.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n")
    with pytest.raises(InputError) as raised:
        load_target(find_targets([str(tmp_path)])[0])
    assert (raised.value.message, raised.value.file) == (
        "3 files to read, over the limit of 2 in one target (scan its subfolders separately, or leave some out "
        "with --exclude)", str(tmp_path))


def test_standard_input_is_read_as_manifests_named_stdin_within_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys
    from types import SimpleNamespace

    from kaze_policy.sources.files import Skipped
    from kaze_policy.sources.load import NOT_OBJECTS

    def stdin(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(text.encode())))

    stdin("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nreplicas: 3\n")
    (spec,) = find_targets(["-"])
    assert [(r.id, r.origin.file) for r in load_target(spec).resources] == [("Namespace/a", "<stdin>")]
    assert spec.skipped == [Skipped("<stdin>", NOT_OBJECTS)]
    stdin("#" * 100)
    with pytest.raises(InputError) as raised:
        load_target(find_targets(["-"])[0], max_bytes=50)
    assert (raised.value.message, raised.value.file) == ("input is over the limit of 50 bytes (--max-file-size)",
                                                         "<stdin>")


def test_a_file_given_is_read_whatever_its_name_and_what_it_passes_over_is_named(tmp_path: Path) -> None:
    from kaze_policy.sources.files import Skipped
    from kaze_policy.sources.load import NOT_OBJECTS

    (tmp_path / "pods").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nreplicas: 3\n")
    (spec,) = find_targets([str(tmp_path / "pods")])
    assert [r.id for r in load_target(spec).resources] == ["Namespace/a"]
    assert spec.skipped == [Skipped(str(tmp_path / "pods"), NOT_OBJECTS)]
