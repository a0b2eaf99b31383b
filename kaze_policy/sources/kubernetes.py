"""Kubernetes manifests (YAML or JSON, multi-document, `List` kinds) to resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources.openapi import check_object
from kaze_policy.sources.yaml_stream import Document, load_stream

# Kinds that live outside any namespace; every other kind defaults to "default".
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PriorityClass",
    "RuntimeClass", "IngressClass", "APIService", "CSIDriver", "VolumeSnapshotClass",
    "ClusterImagePolicy", "ClusterIssuer", "CiliumClusterwideNetworkPolicy", "ClusterExternalSecret",
    "ClusterSecretStore", "ClusterPolicy", "GatewayClass", "ClusterTrustBundle",
    "VaultSnapshot", "ImageVerificationSnapshot", "SbomIndexSnapshot", "ClusterProbeSnapshot",
})
_ITEM_LINE = re.compile(rb"^(\s*)- ", re.M)


@dataclass
class ManifestFile:
    """What one manifest file yields: resources, and documents that are not Kubernetes objects."""

    resources: list[Resource] = field(default_factory=list)
    skipped: int = 0


def load_manifest(data: bytes, file: str, source: str = "kubernetes") -> ManifestFile:
    result = ManifestFile()
    for doc in load_stream(data, file):
        _add_document(result, doc, data, file, source)
    return result


def _add_document(result: ManifestFile, doc: Document, data: bytes, file: str, source: str) -> None:
    value = doc.value
    if value is None:
        return
    if not isinstance(value, dict) or "apiVersion" not in value:
        result.skipped += 1
        return
    kind = value.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError("object has an apiVersion but no kind", file, doc.line)
    items = value.get("items")
    if kind.endswith("List") and isinstance(items, list):
        lines = _item_lines(data, doc.line, len(items))
        for item, line in zip(items, lines):
            _add_document(result, Document(_list_item(item, value, file, line), line), data, file, source)
        return
    check_object(value, file, doc.line)
    result.resources.append(object_to_resource(value, Origin(file, doc.line), source))


def _list_item(item: Any, listed: dict[str, Any], file: str, line: int) -> dict[str, Any]:
    """An item of a List as the API machinery decodes it.

    The API server leaves `kind` and `apiVersion` out of the items of a typed list
    (`PodList`, `NamespaceList`…); apimachinery's list decoder gives such an item the list's
    kind less `List` and the list's apiVersion, and kubectl refuses an item that still has
    no kind (a plain `List`) or no apiVersion.
    """
    if not isinstance(item, dict):
        raise InputError(f"an item of the {listed['kind']} is not an object", file, line)
    if "kind" not in item and "apiVersion" not in item and listed["kind"] != "List":
        item = {"apiVersion": listed["apiVersion"], "kind": listed["kind"][: -len("List")], **item}
    if not item.get("kind") or not item.get("apiVersion"):
        raise InputError(f"an item of the {listed['kind']} has no kind or no apiVersion", file, line)
    return item


def object_to_resource(obj: dict[str, Any], origin: Origin, source: str) -> Resource:
    kind = str(obj.get("kind"))
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = str(metadata.get("name") or metadata.get("generateName") or "(unnamed)")
    namespace = None
    if kind not in CLUSTER_SCOPED_KINDS:
        namespace = str(metadata.get("namespace") or "default")
    return Resource(kind=kind, name=name, obj=obj, origin=origin, source=source,
                    api_version=str(obj.get("apiVersion")), namespace=namespace)


def _item_lines(data: bytes, start_line: int, count: int) -> list[int]:
    """Best-effort lines of a List's items: the `- ` lines at the shallowest indent after `items:`."""
    offset = 0
    for _ in range(start_line - 1):
        offset = data.find(b"\n", offset) + 1
    matches = list(_ITEM_LINE.finditer(data, offset))
    if not matches:
        return [start_line] * count
    indent = min(len(m.group(1)) for m in matches[: max(count * 50, 1)])
    lines = [data.count(b"\n", 0, m.start()) + 1 for m in matches if len(m.group(1)) == indent]
    return (lines + [start_line] * count)[:count]
