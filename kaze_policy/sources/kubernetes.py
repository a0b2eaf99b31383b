"""Kubernetes manifests (YAML or JSON, multi-document, `List` kinds) to resources."""

from __future__ import annotations

import bisect
import itertools
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
# An item of a block sequence: `- ` or a lone `-` (its value on the lines below), after spaces
# only: `\s` would reach back over blank lines and give the item the line of the first of them.
_ITEM_LINE = re.compile(rb"^( *)-(?: |$)", re.M)
# The `items:` key of a List written as a block mapping from the first column.
_ITEMS_KEY = re.compile(rb"^items:[ \t]*(?:#.*)?$", re.M)


@dataclass
class ManifestFile:
    """What one manifest file yields: resources, and documents that are not Kubernetes objects."""

    resources: list[Resource] = field(default_factory=list)
    skipped: int = 0


def load_manifest(data: bytes, file: str, source: str = "kubernetes") -> ManifestFile:
    result = ManifestFile()
    docs = load_stream(data, file)
    lines = _Lines(data)
    for i, doc in enumerate(docs):
        # A document ends before the next one starts: a List's items are looked for in it alone.
        _add_document(result, doc, lines, docs[i + 1].line if i + 1 < len(docs) else None, file, source)
    return result


class _Lines:
    """Where each line of a file starts, found once per file and only when a List needs it.

    With it, the lines of a List's items cost a binary search each, not a count from the
    start of the file (which made a file of many Lists quadratic, even cubic).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *itertools.accumulate(len(line) + 1 for line in self.data.split(b"\n"))][:-1]
        return self._starts

    def offset(self, line: int) -> int:
        """The offset where a 1-based line starts: the line of a document, so one of the file's."""
        return self.starts[line - 1]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _add_document(result: ManifestFile, doc: Document, lines: _Lines, next_line: int | None, file: str,
                  source: str) -> None:
    value = doc.value
    if value is None:
        return
    if not isinstance(value, dict) or not ("apiVersion" in value or _is_list_without_api_version(value)):
        result.skipped += 1
        return
    kind = value.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError("object has an apiVersion but no kind", file, doc.line)
    if "items" not in value:
        _add_object(result, value, doc.line, file, source)
        return
    # As apimachinery's unstructured decoder, which kubectl's builder uses: a document with an
    # `items` key is a list whatever its kind (a `kind: Deployment` with items applies the
    # items, never the Deployment), and `items: null` a list of nothing.
    items = value["items"]
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError(f"the items of the {kind} are not a list", file, doc.line)
    for item, line in zip(items, _item_lines(lines, doc.line, next_line, len(items))):
        _add_object(result, _list_item(item, value, file, line), line, file, source)


def _is_list_without_api_version(value: dict[str, Any]) -> bool:
    """Whether kubectl flattens a document without apiVersion into its items (a `kind: List`
    with items does; every other document without apiVersion is not a Kubernetes object here)."""
    kind = value.get("kind")
    return (isinstance(kind, str) and bool(kind) and "items" in value
            and (value["items"] is None or isinstance(value["items"], list)))


def _add_object(result: ManifestFile, obj: dict[str, Any], line: int, file: str, source: str) -> None:
    check_object(obj, file, line)
    result.resources.append(object_to_resource(obj, Origin(file, line), source))


def _list_item(item: Any, listed: dict[str, Any], file: str, line: int) -> dict[str, Any]:
    """An item of a list as the API machinery decodes it.

    The API server leaves `kind` and `apiVersion` out of the items of a typed list
    (`PodList`, `NamespaceList`…); apimachinery's list decoder gives such an item the list's
    kind less a `List` suffix and the list's apiVersion, and kubectl refuses an item that still
    has no kind (a plain `List`) or no apiVersion. As in apimachinery, a field that is not a
    string, or is empty, is missing. An item that is itself a list is refused, as kubectl's
    list flattening refuses it.
    """
    kind = listed["kind"]
    if not isinstance(item, dict):
        raise InputError(f"an item of the {kind} is not an object", file, line)
    if isinstance(item.get("items"), list):
        raise InputError(f"an item of the {kind} is itself a list", file, line)
    if not _text(item, "kind") and not _text(item, "apiVersion"):
        # a plain List's items get the kind "", which is refused below as kubectl refuses it
        item = {**item, "apiVersion": _text(listed, "apiVersion"), "kind": kind.removesuffix("List")}
    if not _text(item, "kind") or not _text(item, "apiVersion"):
        raise InputError(f"an item of the {kind} has no kind or no apiVersion", file, line)
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


def _text(obj: dict[str, Any], key: str) -> str:
    """A string field as apimachinery's `NestedString` reads it: "" when absent or not a string."""
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _item_lines(lines: _Lines, start_line: int, next_line: int | None, count: int) -> list[int]:
    """Best-effort lines of a List's items: after its top-level `items:` key, the `- ` lines at the
    indent of the first, up to the next document (`next_line`, None for the end of the file).
    A List in JSON or in flow style, or whose keys are indented, gives its own line to each item."""
    offset = lines.offset(start_line)
    end = len(lines.data) if next_line is None else lines.offset(next_line)
    key = _ITEMS_KEY.search(lines.data, offset, end)
    first = _ITEM_LINE.search(lines.data, key.end(), end) if key else None
    if first is None:
        return [start_line] * count
    indent = first.group(1)
    found = [lines.line(m.start()) for m in _ITEM_LINE.finditer(lines.data, first.start(), end) if m.group(1) == indent]
    return (found + [start_line] * count)[:count]
