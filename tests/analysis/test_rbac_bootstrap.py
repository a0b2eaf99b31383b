"""The built-in roles: generated from the pinned Kubernetes, never hand-written, never stale."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kaze_policy.analysis.rbac import BOOTSTRAP_FILE, bootstrap_roles, effective_permissions
from tests.analysis.test_rbac import binding, role, rule
from tests.conftest import ROOT, require_tool


def committed(path: Path) -> str | None:
    """The file as HEAD has it, when the checkout is a git work tree that tracks it."""
    done = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                          capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def test_the_committed_bootstrap_roles_equal_a_fresh_dump() -> None:
    """kaze_policy/analysis/data/bootstrap_rbac.json is what tools/k8s/bootstrap-rbac prints
    for the k8s.io/kubernetes of tools/k8s/go.mod. `make tools` rewrites the file in the work
    tree, so the committed version is compared too: a regenerated file must be committed."""
    tool = require_tool("bootstrap-rbac")
    fresh = subprocess.run([tool], capture_output=True, text=True, timeout=60, check=True).stdout
    assert BOOTSTRAP_FILE.read_text(encoding="utf-8") == fresh, "stale: run `make bootstrap-rbac` and commit the file"
    in_git = committed(BOOTSTRAP_FILE)
    assert in_git is None or in_git == fresh, "regenerated but not committed: commit the file"


def test_every_bootstrap_cluster_role_of_kubernetes_is_known() -> None:
    names = {key.split("/", 1)[1] for key in bootstrap_roles() if key.startswith("ClusterRole/")}
    # the 32 bootstrap ClusterRoles of 1.37 (25 were missing from the hand-written list) …
    assert {"cluster-admin", "admin", "edit", "view", "system:aggregate-to-view", "system:discovery",
            "system:basic-user", "system:auth-delegator", "system:node", "system:kube-scheduler",
            "system:kubelet-api-admin", "system:persistent-volume-provisioner", "system:node-proxier",
            "system:certificates.k8s.io:kube-apiserver-client-approver"} <= names
    assert len([n for n in names if not n.startswith("system:controller:")]) == 32
    # … and the controllers' ClusterRoles
    assert "system:controller:generic-garbage-collector" in names
    data = json.loads(BOOTSTRAP_FILE.read_text(encoding="utf-8"))
    assert len(names) == len(data["clusterRoles"])


@pytest.mark.parametrize("role_name,verb,group,resource", [
    ("view", "list", "events.k8s.io", "events"),  # missing from the hand-written view
    ("edit", "create", "events.k8s.io", "events"),
    ("edit", "create", "resource.k8s.io", "resourceclaims"),
    ("admin", "create", "resource.k8s.io", "resourceclaimtemplates"),
    ("admin", "create", "rbac.authorization.k8s.io", "rolebindings"),
    ("system:auth-delegator", "create", "authentication.k8s.io", "tokenreviews"),
    ("system:controller:generic-garbage-collector", "delete", "", "secrets"),
])
def test_builtin_roles_grant_what_kubernetes_1_37_grants(role_name: str, verb: str, group: str, resource: str) -> None:
    perms = effective_permissions([binding("rb", "a", "ClusterRole", role_name, "User:alice")])
    assert {g.subject.key for g in perms.who_can(verb, resource, namespace="a", api_group=group)} == {"User:alice"}


def test_view_still_cannot_read_secrets_and_edit_cannot_bind_roles() -> None:
    perms = effective_permissions([binding("v", "a", "ClusterRole", "view", "User:viewer"),
                                   binding("e", "a", "ClusterRole", "edit", "User:editor")])
    assert not perms.can("User:viewer", "get", "", "secrets", namespace="a")
    assert perms.can("User:editor", "get", "", "secrets", namespace="a")
    assert not perms.can("User:editor", "create", "rbac.authorization.k8s.io", "rolebindings", namespace="a")


def test_the_namespaced_bootstrap_roles_resolve_in_their_namespace() -> None:
    reader = "extension-apiserver-authentication-reader"
    perms = effective_permissions([binding("rb", "kube-system", "Role", reader, "User:apiserver"),
                                   binding("rb", "a", "Role", reader, "User:elsewhere"),
                                   role("local", "a", rule("get", "pods"))])
    assert perms.can("User:apiserver", "get", "", "configmaps", namespace="kube-system",
                     name="extension-apiserver-authentication")
    assert perms.unresolved == [{"binding": "RoleBinding/a/rb", "role": f"Role/a/{reader}"}]
