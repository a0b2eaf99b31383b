"""A synthetic Kaze stack of N resources: tenant namespaces, NetworkPolicies, Deployments…"""

from __future__ import annotations

from pathlib import Path

DIGEST = "sha256:" + "ab" * 32
PER_TENANT = 10  # resources per tenant: namespace, 2 policies, quota, SA, 5 workloads


def tenant_documents(t: int) -> list[str]:
    ns = f"tenant-{t:05d}"
    docs = [
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    kaze.io/tenant: t{t:05d}\n"
        f"    pod-security.kubernetes.io/enforce: restricted\n  annotations:\n    linkerd.io/inject: enabled\n",
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-gateway\n  namespace: {ns}\n"
        "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: agent\n  policyTypes: [Egress]\n"
        "  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kaze.io/plane: shared\n"
        "    ports:\n    - port: 8080\n      protocol: TCP\n  - to:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n"
        "    ports:\n    - port: 443\n",
        f"apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: quota\n  namespace: {ns}\nspec:\n  hard:\n"
        "    requests.cpu: '8'\n    requests.memory: 16Gi\n",
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n  namespace: {ns}\n",
    ]
    for w in range(PER_TENANT - len(docs)):
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent-{w}\n  namespace: {ns}\n"
            f"  labels:\n    app.kubernetes.io/name: agent\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n"
            f"      app: agent-{w}\n  template:\n    metadata:\n      labels:\n        app: agent-{w}\n"
            "        app.kubernetes.io/name: agent\n    spec:\n      serviceAccountName: agent\n"
            "      securityContext:\n        runAsNonRoot: true\n      containers:\n      - name: agent\n"
            f"        image: registry.kaze.io/kaze/agent-runtime@{DIGEST}\n        ports:\n"
            "        - containerPort: 8080\n          name: http\n        resources:\n          limits:\n"
            "            cpu: '1'\n            memory: 1Gi\n        securityContext:\n"
            "          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n"
            "          capabilities:\n            drop: [ALL]\n")
    return docs


CONFIG = """apiVersion: kaze.io/v1
kind: KazePolicyConfig
cell: {name: bench, mode: agency}
registries: [registry.kaze.io/kaze]
"""


def write_stack(folder: Path, resources: int) -> Path:
    """Write a stack of about `resources` objects into folder/stack.yaml; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    docs: list[str] = []
    for t in range((resources + PER_TENANT - 1) // PER_TENANT):
        docs.extend(tenant_documents(t))
    (folder / "stack.yaml").write_text("---\n".join(docs[:resources]))
    (folder / "kaze-policy.yaml").write_text(CONFIG)
    return folder
