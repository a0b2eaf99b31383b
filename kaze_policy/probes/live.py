"""The probes a live scan runs, put together: one snapshot per kind of system.

The mTLS probe and the database probe both report into the one ClusterProbeSnapshot (its
`tlsProbes` and `pods`, its `databases`): a second snapshot of that kind, lacking the other's
fields, would make the other control an error. A system that cannot be read is a failure
(system, why, scope), never a missing snapshot that reads as nothing to judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaze_policy.probes import ProbeFailed, snapshot

Document = tuple[dict[str, Any], str]  # a snapshot document and the system it was read from
Failure = tuple[str, str, str]  # system, why, scope


@dataclass(frozen=True)
class ProbeOptions:
    vault_addr: str | None = None
    vault_ca: Path | None = None
    database: str | None = None
    tls_probes: list[str] = field(default_factory=list)
    # Sigstore bundles by digest (probes/signatures.py): verified for every target's images,
    # from a folder, and/or from each image's registry (its digest's referrers).
    signatures: Path | None = None
    signatures_from_registry: bool = False

    @property
    def verifies_images(self) -> bool:
        return self.signatures is not None or self.signatures_from_registry

    @property
    def any(self) -> bool:
        return self.vault_addr is not None or self.database is not None or bool(self.tls_probes)


AUTO = "auto"  # --tls-probe auto: every service port of the tenant and shared namespaces


def run_probes(options: ProbeOptions, cluster: list[Any] | None = None) -> tuple[list[Document], list[Failure]]:
    """What each probe read; `cluster`: the resources of the cluster read with them, if one was
    (its services are what `--tls-probe auto` probes, its running pods what the mesh ports serve)."""
    documents: list[Document] = []
    failures: list[Failure] = []
    cluster_fields: dict[str, Any] = {}
    systems = []
    if options.tls_probes:
        from kaze_policy.probes.tls import parse_endpoint, probe_tls, running_pods, service_endpoints
        endpoints = [parse_endpoint(text) for text in options.tls_probes if text != AUTO]  # checked by the CLI
        if AUTO in options.tls_probes:
            endpoints += service_endpoints(cluster or [])
        pods = None if cluster is None else running_pods([r.obj for r in cluster if r.kind == "Pod"])
        cluster_fields.update({k: v for k, v in probe_tls(endpoints, pods).items() if k in ("tlsProbes", "pods")})
        systems.append("tls probes")
    if options.database is not None:
        from kaze_policy.probes.postgres import probe_database, shown
        try:
            cluster_fields["databases"] = probe_database(options.database)["databases"]
            systems.append(shown(options.database))
        except ProbeFailed as err:
            failures.append((str(err.file), err.message, err.scope))
    if cluster_fields:
        documents.append((snapshot("ClusterProbeSnapshot", "live", **cluster_fields), " + ".join(systems)))
    if options.vault_addr is not None:
        from kaze_policy.probes.vault import probe_vault
        try:
            ca = str(options.vault_ca) if options.vault_ca else None
            documents.append((probe_vault(options.vault_addr, ca_file=ca), options.vault_addr))
        except ProbeFailed as err:
            failures.append((options.vault_addr, err.message, err.scope))
    return documents, failures


def verify_images(options: ProbeOptions, resources: list[Any], config: dict[str, Any] | None) -> dict[str, Any]:
    """The ImageVerificationSnapshot of the images the workloads among `resources` run, each
    digest's bundle (from the folder, else the registry) verified offline (ProbeFailed when the
    folder or a registry cannot be read)."""
    from kaze_policy.probes.registry import registry_bundles
    from kaze_policy.probes.signatures import probe_signatures

    signers = [s for s in (config or {}).get("signers") or [] if isinstance(s, dict)]
    return probe_signatures(sorted(workload_images(resources)), options.signatures, signers,
                            registry=registry_bundles if options.signatures_from_registry else None)


def workload_images(resources: list[Any]) -> set[str]:
    """Every container image of the Kubernetes workloads among `resources` (init and ephemeral too)."""
    from kaze_policy.inventory import KUBERNETES_SOURCES, WORKLOAD_KINDS, pod_template

    images = set()
    for resource in resources:
        if resource.kind not in WORKLOAD_KINDS or resource.source not in KUBERNETES_SOURCES:
            continue
        spec = pod_template(resource.obj, resource.kind).get("spec")
        for key in ("initContainers", "containers", "ephemeralContainers"):
            for container in (spec.get(key) if isinstance(spec, dict) else None) or []:
                if isinstance(container, dict) and isinstance(container.get("image"), str):
                    images.add(container["image"])
    return images
