"""Where a finding points: the offending field's line, and the policies and roles it names.

A resource's origin is the line where its object starts. A finding whose evidence names the
field at fault (`field_path`: keys and indexes from the object's root, as the Rego rule knows
them) points at that field's line and column instead: the `image:` of an unpinned container,
the `privileged:` of a privileged one. Lines are found only for findings, which are few, by
ruamel.yaml's round-trip loader, which keeps the line and column of every node; the scan
itself reads YAML with a faster parser that keeps only where each document starts.

Never a wrong line: the field is looked up in the object's origin file, at the object found
on its origin line, and taken only when what the file holds there is what was judged (a
kustomize patch or transformer may have changed or added it: then the object's line stays).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from kaze_policy.errors import InputError
from kaze_policy.inventory import KUBERNETES_SOURCES
from kaze_policy.results import Finding
from kaze_policy.sources.files import read_bytes

# The files whose lines are looked up: YAML, and JSON (which is YAML). Not Terraform.
_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
# The pure-Python loader reads about 40 KB/s on a busy machine: an object larger than this keeps its line.
_MAX_BYTES = 256 * 1024
# The kinds a finding's evidence may name whose file and line it reports too.
RELATED_KINDS = frozenset({"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
                           "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})

Place = tuple[int, int]  # 1-based line and column


def locate(findings: Iterable[Finding], resources: Mapping[str, Mapping[str, Any]]) -> None:
    """Set each finding's location (the field's line where its evidence names one) and the
    file and line of the network policies and roles its evidence names."""
    for finding in findings:
        resource = resources.get(str(finding.resource.get("id")))
        place = _field_place(resource, finding.evidence) if resource else None
        if place is not None:
            finding.location = {"file": finding.resource.get("file"), "line": place[0], "column": place[1]}
        finding.related = _related(finding, resources)


def _field_place(resource: Mapping[str, Any], evidence: Any) -> Place | None:
    path = evidence.get("field_path") if isinstance(evidence, Mapping) else None
    if not isinstance(path, list) or not path or resource.get("source") not in KUBERNETES_SOURCES:
        return None
    file, line = resource.get("file"), resource.get("line")
    if not isinstance(file, str) or not isinstance(line, int) or Path(file).suffix.lower() not in _SUFFIXES:
        return None
    try:
        root = _document_at(*_file_key(file), line)
        if root is None or root.get("kind", resource.get("kind")) != resource.get("kind"):
            return None
        place = _walk(root, resource.get("object"), path)
    except (KeyError, IndexError, AttributeError, TypeError):  # a node ruamel keeps no place for (a merge key's)
        return None
    return (place[0] + line - 1, place[1]) if place else None


def _file_key(file: str) -> tuple[str, int, int]:
    """The file with its modification time and size: a file changed since is read again."""
    try:
        stat = os.stat(file)
    except OSError:
        return file, -1, -1
    return file, stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8)
def _lines(file: str, mtime: int, size: int) -> tuple[str, ...]:
    """The file's lines; () when it cannot be read."""
    if mtime < 0:
        return ()
    try:  # the scan's own reader: a regular file only, bounded (the file may have changed since)
        return tuple(read_bytes(Path(file)).decode("utf-8").split("\n"))
    except (InputError, UnicodeDecodeError):
        return ()


@lru_cache(maxsize=256)
def _document_at(file: str, mtime: int, size: int, line: int) -> Any:
    """The object that starts on a line, round-trip loaded from that line to the end of its
    document (lines counted from there), or None: the pure-Python loader takes seconds over a
    large file, so it reads only the object (an item of a List, which does not start a
    document of its own, is not found: its object's line stays)."""
    lines = _lines(file, mtime, size)
    if not 0 < line <= len(lines):
        return None
    end, length = line, 0
    while end < len(lines) and not _ends_document(lines[end]):
        length += len(lines[end])
        end += 1
    if length > _MAX_BYTES:
        return None
    from ruamel.yaml import YAML  # deferred: only a scan with a located finding pays for the import

    try:
        root = YAML(typ="rt", pure=True).load("\n".join(lines[line - 1:end]))
    except Exception:  # noqa: BLE001 - a parse failure only means no finer line: the object's stays
        return None
    return root if _is_map(root) and root.lc.line == 0 else None


def _ends_document(text: str) -> bool:
    """A document marker at the start of a line ends a document, even inside a scalar."""
    return (text.startswith("---") or text.startswith("...")) and text[3:4] in ("", " ", "\t", "\r")


def _walk(node: Any, judged: Any, path: list[Any]) -> Place | None:
    """The line and column of the field at path, when the file holds there what was judged.

    Sequence items are checked along the way by their `name` (a patch merges containers by
    name, so index 1 of the built object need not be index 1 of the file), the field itself
    by its whole value.
    """
    place: Place | None = None
    for step in path:
        if _is_map(node) and isinstance(judged, Mapping) and isinstance(step, str):
            if step not in node or step not in judged:
                return None
            line, column = node.lc.key(step)
            node, judged = node[step], judged[step]
        elif isinstance(node, list) and isinstance(judged, list) and isinstance(step, int) \
                and not isinstance(step, bool) and 0 <= step < min(len(node), len(judged)):
            line, column = node.lc.item(step)
            node, judged = node[step], judged[step]
            if _name(node) != _name(judged):
                return None
        else:
            return None
        place = (line + 1, column + 1)
    return place if _same(node, judged) else None


def _name(node: Any) -> Any:
    return node.get("name") if isinstance(node, Mapping) else None


def _same(found: Any, judged: Any) -> bool:
    """Whether the file's value is the judged one (bool and int kept apart: `1` is not `true`)."""
    if isinstance(judged, Mapping):
        return isinstance(found, Mapping) and found.keys() == judged.keys() and \
            all(_same(found[k], judged[k]) for k in judged)
    if isinstance(judged, list):
        return isinstance(found, list) and len(found) == len(judged) and \
            all(_same(f, j) for f, j in zip(found, judged))
    return isinstance(found, bool) == isinstance(judged, bool) and found == judged


def _is_map(node: Any) -> bool:
    return isinstance(node, Mapping) and hasattr(node, "lc")


def _related(finding: Finding, resources: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The network policies and roles the evidence names (by inventory id), with file and line."""
    own = finding.resource.get("id")
    named: dict[str, dict[str, Any]] = {}
    for value in _strings(finding.evidence):
        resource = resources.get(value)
        if resource is not None and value != own and resource.get("kind") in RELATED_KINDS:
            named.setdefault(value, {"id": value, "file": resource.get("file"), "line": resource.get("line")})
    return list(named.values())


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
