"""`kaze-policy snapshot`: what a live scan reads, as one file an auditor keeps.

The cluster's objects (a ClusterSnapshot, sources/cluster.py) with each probe's snapshot among
its items; without a cluster, the probes' snapshots as a `List`. Either way, `scan FILE`
judges the file as the live scan judged the systems. A probe that cannot read its system
stops the snapshot (ProbeFailed, exit 3): a file that silently lacks a system would be judged
as a cell without it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kaze_policy.catalog import load_catalog
from kaze_policy.probes import ProbeFailed
from kaze_policy.probes.live import ProbeOptions, run_probes, verify_images
from kaze_policy.sources.cluster import ClusterRead, ReadOptions, kinds_to_read, read_cluster, snapshot_document


def take_snapshot(cluster: ReadOptions | None, probes: ProbeOptions, policies: Path) -> tuple[dict[str, Any],
                                                                                             ClusterRead | None]:
    """The snapshot document, and the cluster's read (for what it could not list), if one was read."""
    read = read_cluster(cluster, kinds_to_read(load_catalog(policies).controls)) if cluster is not None else None
    documents, failures = run_probes(probes, read.inventory.resources if read is not None else None)
    if failures:
        system, why, scope = failures[0]
        raise ProbeFailed(why, system, scope)
    probed = [document for document, _ in documents]
    if probes.verifies_images and read is not None:
        probed.append(verify_images(probes, read.inventory.resources, None))
    if read is None:
        return {"apiVersion": "v1", "kind": "List", "items": probed}, None
    taken = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    document = snapshot_document(read, taken)
    document["items"] += [{"path": f"probe:{p['kind']}", "object": p} for p in probed]
    return document, read
