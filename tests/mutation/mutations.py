"""The mutations of the shipped stack, at least three per control family, each naming the
control that must catch it. Edits are made on rendered documents (predicates on kind,
namespace and labels, so they survive refactoring of infra/) or on the text of files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from tests.mutation.harness import LOOSE, SOURCE, Docs, Mutation

AGENCY = "agency-aws"
VPC = "customer-vpc-aws"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
DIGEST = "sha256:" + "f" * 64


# --- helpers over rendered documents -------------------------------------------------------

def _meta(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.setdefault("metadata", {})


def find(docs: Docs, kind: str, namespace: str | None = None, where: Callable[[dict], bool] = lambda d: True) -> dict:
    for doc in docs:
        if doc.get("kind") == kind and (namespace is None or _meta(doc).get("namespace") == namespace) and where(doc):
            return doc
    raise LookupError(f"no {kind} in {namespace} matching the mutation's predicate")


def namespace(docs: Docs, name: str) -> dict:
    return find(docs, "Namespace", where=lambda d: _meta(d).get("name") == name)


def first_tenant(docs: Docs) -> str:
    return next(_meta(d)["name"] for d in docs if d.get("kind") == "Namespace"
                and "kaze.io/tenant" in (_meta(d).get("labels") or {}))


def tenants(docs: Docs) -> list[str]:
    return [_meta(d)["name"] for d in docs if d.get("kind") == "Namespace"
            and "kaze.io/tenant" in (_meta(d).get("labels") or {})]


def tenant_workload(docs: Docs) -> dict:
    ns = first_tenant(docs)
    return next(d for d in docs if d.get("kind") == "Deployment" and _meta(d).get("namespace") == ns)


def pod_template(doc: dict) -> dict:
    return doc["spec"]["template"]


def container(doc: dict) -> dict:
    return pod_template(doc)["spec"]["containers"][0]


def add(docs: Docs, *objects: dict) -> None:
    docs.extend(objects)


def netpol(ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def rbac(kind: str, name: str, rules: list | None = None, ns: str | None = None, role: dict | None = None,
         subjects: list | None = None) -> dict:
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta}
    if rules is not None:
        obj["rules"] = rules
    if role is not None:
        obj["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io"} | role
        obj["subjects"] = subjects or []
    return obj


def is_default_deny(doc: dict) -> bool:
    spec = doc.get("spec") or {}
    return spec.get("podSelector") in ({}, None) and not spec.get("ingress") and not spec.get("egress")


# --- helpers over files --------------------------------------------------------------------

def edit_text(relative: str, pattern: str, replacement: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / relative
        text = path.read_text()
        changed, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
        if count == 0:
            raise LookupError(f"{relative}: no match for {pattern!r}")
        path.write_text(changed)
    return apply


# --- the mutations -------------------------------------------------------------------------

def _drop_label(label: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        _meta(namespace(docs, first_tenant(docs)))["labels"].pop(label)
    return apply


def _set_ns_label(label: str, value: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        _meta(namespace(docs, first_tenant(docs)))["labels"][label] = value
    return apply


def _remove_default_deny(docs: Docs) -> None:
    ns = first_tenant(docs)
    docs[:] = [d for d in docs if not (d.get("kind") == "NetworkPolicy" and _meta(d).get("namespace") == ns
                                       and is_default_deny(d))]


def _open_tenants_to_each_other(docs: Docs) -> None:
    for ns in tenants(docs)[:2]:
        add(docs, netpol(ns, "allow-all-namespaces", {
            "podSelector": {}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"namespaceSelector": {}}]}],
            "egress": [{"to": [{"namespaceSelector": {}}]}]}))


def _privileged(docs: Docs) -> None:
    container(tenant_workload(docs)).setdefault("securityContext", {})["privileged"] = True


def _host_network(docs: Docs) -> None:
    pod_template(tenant_workload(docs))["spec"]["hostNetwork"] = True


def _delete_kind_in_tenant(kind: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        ns = first_tenant(docs)
        before = len(docs)
        docs[:] = [d for d in docs if not (d.get("kind") == kind and _meta(d).get("namespace") == ns)]
        assert len(docs) < before
    return apply


def _cross_tenant_binding(docs: Docs) -> None:
    mine, other = tenants(docs)[:2]
    add(docs, rbac("RoleBinding", "share-with-neighbour", ns=mine,
                   role={"kind": "ClusterRole", "name": "view"},
                   subjects=[{"kind": "ServiceAccount", "name": "agent", "namespace": other}]))


def _egress_to_world(docs: Docs) -> None:
    add(docs, netpol(first_tenant(docs), "egress-anywhere", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]}))


def _egress_without_destination(docs: Docs) -> None:
    add(docs, netpol(first_tenant(docs), "egress-https", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 443, "protocol": "TCP"}]}]}))


def _egress_off_allowlist(docs: Docs) -> None:
    add(docs, netpol(first_tenant(docs), "egress-partner", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]}))


def _pod_annotation(key: str, value: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        pod_template(tenant_workload(docs)).setdefault("metadata", {}).setdefault("annotations", {})[key] = value
    return apply


def _ns_annotation(key: str, value: str | None) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        annotations = _meta(namespace(docs, first_tenant(docs))).setdefault("annotations", {})
        if value is None:
            annotations.pop(key)
        else:
            annotations[key] = value
    return apply


def _cross_cell_without_client_cert(docs: Docs) -> None:
    ingress = find(docs, "Ingress", where=lambda d: (_meta(d).get("labels") or {}).get("kaze.io/traffic") == "cross-cell")
    annotations = _meta(ingress)["annotations"]
    for key in [k for k in annotations if "auth-tls" in k]:
        annotations.pop(key)


def _cross_cell_backend_shared(docs: Docs) -> None:
    """The cross-cell Ingress routes to the backend of the Ingress beside it that asks for no client
    certificate (the Kaze API): that one's host then reaches the cross-cell API without one."""
    cross_cell = find(docs, "Ingress", where=lambda d: (_meta(d).get("labels") or {}).get("kaze.io/traffic") == "cross-cell")
    beside = find(docs, "Ingress", _meta(cross_cell)["namespace"], where=lambda d: d is not cross_cell)
    shared = beside["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    for rule in cross_cell["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            path["backend"] = dict(shared)


def _image(value: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        container(tenant_workload(docs))["image"] = value
    return apply


def _deployers_read_secrets(docs: Docs) -> None:
    add(docs, rbac("ClusterRole", "deploy-debug-secrets", rules=[{"apiGroups": [""], "resources": ["secrets"],
                                                                    "verbs": ["get", "list"]}]),
        rbac("ClusterRoleBinding", "deployers-debug-secrets", role={"kind": "ClusterRole", "name": "deploy-debug-secrets"},
             subjects=[{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "kaze:deployers"}]))


def _cluster_admin_to_person(docs: Docs) -> None:
    add(docs, rbac("ClusterRoleBinding", "alice-admin", role={"kind": "ClusterRole", "name": "cluster-admin"},
                   subjects=[{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice@kaze.io"}]))


def _exec_for_operators(docs: Docs) -> None:
    add(docs, rbac("ClusterRole", "operator-exec", rules=[{"apiGroups": [""], "resources": ["pods/exec"],
                                                            "verbs": ["create", "get"]}]),
        rbac("ClusterRoleBinding", "operators-exec", role={"kind": "ClusterRole", "name": "operator-exec"},
             subjects=[{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "kaze:operators"}]))


def _database_load_balancer(docs: Docs) -> None:
    database = find(docs, "Cluster", first_tenant(docs))
    name = _meta(database)["name"]
    add(docs, {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": f"{name}-public", "namespace": _meta(database)["namespace"],
                            "labels": {"cnpg.io/cluster": name}},
               "spec": {"type": "LoadBalancer", "selector": {"cnpg.io/cluster": name, "role": "primary"},
                        "ports": [{"name": "postgres", "port": 5432, "targetPort": 5432}]}})


def _vpn_sessions(hours: str) -> Callable[[Docs], None]:
    def apply(docs: Docs) -> None:
        config = find(docs, "ConfigMap", where=lambda d: (_meta(d).get("labels") or {}).get("kaze.io/component") == "operator-vpn")
        key = next(iter(config["data"]))
        config["data"][key] = re.sub(r"expiry: 4h", f"expiry: {hours}", config["data"][key])
    return apply


def _literal_secret(docs: Docs) -> None:
    add(docs, {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "partner-api", "namespace": first_tenant(docs)},
               "stringData": {"api-key": "not-a-real-key-but-a-literal-all-the-same"}})


def _beacon_keeps_label(docs: Docs) -> None:
    beacon = find(docs, "AlertmanagerConfig", where=lambda d: (_meta(d).get("labels") or {}).get("kaze.io/beacon") == "true")
    beacon["spec"]["route"]["groupBy"].append("tenant")


def _remove_loki(docs: Docs) -> None:
    before = len(docs)
    docs[:] = [d for d in docs if not (d.get("kind") in WORKLOADS and _meta(d).get("name") == "loki")]
    assert len(docs) < before


def _otel_exports_outside(docs: Docs) -> None:
    config = find(docs, "ConfigMap", where=lambda d: _meta(d).get("name") == "otel-collector")
    text = config["data"]["config.yaml"]
    text = text.replace("exporters:\n", "exporters:\n  otlphttp/vendor:\n    endpoint: https://otlp.observability-vendor.example.com\n", 1)
    config["data"]["config.yaml"] = text.replace("exporters: [otlphttp/loki]", "exporters: [otlphttp/loki, otlphttp/vendor]")


def _overlay_pins_its_own_build(folder: Path) -> None:
    kustomization = folder / "kubernetes" / "overlays" / "agency-gcp" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + (
        "images:\n- name: registry.kaze.io/kaze/agent-runtime\n"
        f"  digest: {DIGEST}\n"))


def _module_file(relative: str, text: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / relative).write_text(text)
    return apply


MUTATIONS: list[Mutation] = [
    # tenancy
    Mutation("tenant-namespace-loses-tenant-label", "KZ-TEN-01", AGENCY, docs=_drop_label("kaze.io/tenant"),
             names="Namespace/tenant-acme"),
    Mutation("tenant-pod-security-baseline", "KZ-TEN-01", AGENCY,
             docs=_set_ns_label("pod-security.kubernetes.io/enforce", "baseline"),
             names="Namespace/tenant-acme"),
    Mutation("remove-default-deny", "KZ-TEN-02", AGENCY, docs=_remove_default_deny,
             names="Namespace/tenant-acme"),
    Mutation("tenants-open-to-each-other", "KZ-TEN-03", AGENCY, docs=_open_tenants_to_each_other,
             names="Deployment/tenant-acme/agent"),
    Mutation("tenant-loses-its-database", "KZ-TEN-04", AGENCY, docs=_delete_kind_in_tenant("Cluster"),
             names="Namespace/tenant-acme"),
    Mutation("privileged-agent", "KZ-TEN-05", AGENCY, docs=_privileged,
             names="Deployment/tenant-acme/agent"),
    Mutation("agent-on-host-network", "KZ-TEN-05", AGENCY, docs=_host_network,
             names="Deployment/tenant-acme/agent"),
    Mutation("remove-resource-quota", "KZ-TEN-06", AGENCY, docs=_delete_kind_in_tenant("ResourceQuota"),
             names="Namespace/tenant-acme"),
    Mutation("binding-to-other-tenant", "KZ-TEN-07", AGENCY, docs=_cross_tenant_binding,
             names="RoleBinding/tenant-acme/share-with-neighbour"),
    # egress
    Mutation("egress-to-world-with-except", "KZ-EGR-02", AGENCY, docs=_egress_to_world,
             names="NetworkPolicy/tenant-acme/egress-anywhere"),
    Mutation("egress-rule-without-destination", "KZ-EGR-02", AGENCY, docs=_egress_without_destination,
             names="NetworkPolicy/tenant-acme/egress-https"),
    Mutation("egress-off-the-allowlist", "KZ-EGR-01", AGENCY, docs=_egress_off_allowlist,
             names="Deployment/tenant-acme/agent"),
    Mutation("allowlist-entry-wider-than-a-24", "KZ-EGR-03", AGENCY,
             files=edit_text("kaze-policy.yaml", r"(cidr: \d+\.\d+\.\d+\.\d+)/\d+", r"\1/16"),
             names="kaze-policy.yaml"),
    # mTLS
    Mutation("namespace-without-mesh-injection", "KZ-MTL-01", AGENCY, docs=_ns_annotation("linkerd.io/inject", None),
             names="Namespace/tenant-acme"),
    Mutation("workload-opts-out-of-mesh", "KZ-MTL-01", AGENCY, docs=_pod_annotation("linkerd.io/inject", "disabled"),
             names="Deployment/tenant-acme/agent"),
    Mutation("proxy-skips-inbound-port", "KZ-MTL-02", AGENCY,
             docs=_pod_annotation("config.linkerd.io/skip-inbound-ports", "8080"),
             names="Deployment/tenant-acme/agent"),
    Mutation("unauthenticated-default-inbound", "KZ-MTL-02", AGENCY,
             docs=_ns_annotation("config.linkerd.io/default-inbound-policy", "all-unauthenticated"),
             names="Namespace/tenant-acme"),
    Mutation("cross-cell-ingress-without-client-cert", "KZ-MTL-04", VPC, docs=_cross_cell_without_client_cert,
             names="Ingress/agent-runtime/cell-federation"),
    Mutation("cross-cell-backend-reached-without-cert", "KZ-MTL-04", VPC, docs=_cross_cell_backend_shared,
             names="Ingress/agent-runtime/kaze-api"),
    # supply chain
    Mutation("image-by-tag", "KZ-SUP-01", AGENCY, docs=_image("registry.kaze.io/kaze/agent-runtime:1.4.0"),
             names="Deployment/tenant-acme/agent"),
    Mutation("image-from-untrusted-registry", "KZ-SUP-01", AGENCY, docs=_image(f"docker.io/library/python@{DIGEST}"),
             names="Deployment/tenant-acme/agent"),
    Mutation("namespace-leaves-image-verification", "KZ-SUP-03", AGENCY, docs=_drop_label("policy.sigstore.dev/include"),
             names="Namespace/tenant-acme"),
    Mutation("customer-cell-ships-no-sbom-for-loki", "KZ-SUP-04", VPC,
             files=lambda folder: (folder / "sboms" / "loki.cdx.json").unlink(),
             names="StatefulSet/monitoring/loki"),
    Mutation("dockerfile-base-by-tag", "KZ-SUP-06", LOOSE,
             files=edit_text("images/agent-runtime/Dockerfile", r"^(FROM\s+[^\s@]+?)(?::[^\s@]+)?@sha256:[0-9a-f]{64}", r"\1:latest"),
             names="Dockerfile/images/agent-runtime/Dockerfile"),
    # separation of duties
    Mutation("deployers-read-secrets", "KZ-SOD-01", AGENCY, docs=_deployers_read_secrets,
             names="ClusterRoleBinding/deployers-debug-secrets"),
    Mutation("cluster-admin-to-a-person", "KZ-SOD-02", AGENCY, docs=_cluster_admin_to_person,
             names="ClusterRoleBinding/alice-admin"),
    Mutation("exec-for-operators", "KZ-SOD-03", AGENCY, docs=_exec_for_operators,
             names="ClusterRoleBinding/operators-exec"),
    Mutation("database-behind-load-balancer", "KZ-SOD-04", AGENCY, docs=_database_load_balancer,
             names="Service/tenant-acme/db-public"),
    Mutation("rds-publicly-accessible", "KZ-SOD-04", LOOSE,
             files=edit_text("terraform/providers/aws/database.tf", r"publicly_accessible\s*=\s*false", "publicly_accessible    = true"),
             names="terraform/providers/aws/aws_db_instance.metering"),
    Mutation("vpn-sessions-of-8-hours", "KZ-SOD-05", VPC, docs=_vpn_sessions("8h"),
             names="ConfigMap/vpn/headscale-config"),
    # secrets
    Mutation("client-policy-reaches-all-clients", "KZ-SEC-01", LOOSE,
             files=edit_text("vault/policies/client-acme-agent.hcl", r'"kv/data/clients/acme/\*"', '"kv/data/clients/+/*"'),
             names="VaultPolicy/client-acme-agent"),
    Mutation("auth-role-max-ttl-30-days", "KZ-SEC-03", LOOSE,
             files=edit_text("vault/roles/acme-agent.json", r'"token_max_ttl":\s*\d+', '"token_max_ttl": 2592000'),
             names="VaultAuthRole/acme-agent"),
    Mutation("transit-key-rotates-yearly", "KZ-SEC-03", LOOSE,
             files=edit_text("vault/keys/transit.json", r'"auto_rotate_period":\s*\d+', '"auto_rotate_period": 31536000'),
             names="VaultTransitKeys/transit"),
    Mutation("secret-with-literal-value", "KZ-SEC-04", AGENCY, docs=_literal_secret,
             names="Secret/tenant-acme/partner-api"),
    # audit
    Mutation("eks-audit-log-off", "KZ-AUD-01", LOOSE,
             files=edit_text("terraform/providers/aws/cluster.tf", r'enabled_cluster_log_types = \["api", "audit", "authenticator"\]',
                             'enabled_cluster_log_types = ["api", "authenticator"]'),
             names="terraform/providers/aws/aws_eks_cluster.cell"),
    Mutation("audit-bucket-without-object-lock", "KZ-AUD-01", LOOSE,
             files=edit_text("terraform/providers/aws/audit.tf", r"object_lock_enabled = true", "object_lock_enabled = false"),
             names="terraform/providers/aws/aws_s3_bucket.audit"),
    Mutation("beacon-keeps-tenant-label", "KZ-AUD-02", VPC, docs=_beacon_keeps_label,
             names="AlertmanagerConfig/monitoring/health-beacon"),
    Mutation("customer-cell-without-loki", "KZ-AUD-03", VPC, docs=_remove_loki,
             names="kaze-policy.yaml"),
    Mutation("traces-exported-outside", "KZ-AUD-04", VPC, docs=_otel_exports_outside,
             names="ConfigMap/monitoring/otel-collector"),
    # portability
    Mutation("provider-bucket-in-storage-module", "KZ-POR-02", LOOSE,
             files=_module_file("terraform/modules/storage/managed.tf",
                                'resource "aws_s3_bucket" "managed" {\n  bucket = "kaze-managed"\n}\n'),
             names="terraform/modules/storage/aws_s3_bucket.managed"),
    Mutation("managed-kubernetes-in-cluster-module", "KZ-POR-02", LOOSE,
             files=_module_file("terraform/modules/kubernetes-cluster/managed.tf",
                                'resource "azurerm_kubernetes_cluster" "managed" {\n  name = "kaze"\n}\n'),
             names="terraform/modules/kubernetes-cluster/azurerm_kubernetes_cluster.managed"),
    Mutation("overlay-runs-its-own-build", "KZ-POR-01", SOURCE, source=_overlay_pins_its_own_build,
             names="Deployment/agent-runtime/agent-runtime"),
]
