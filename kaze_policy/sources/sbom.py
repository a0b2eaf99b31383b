"""CycloneDX SBOMs shipped with a cell, validated with cyclonedx-python-lib, as an SBOM index.

The index has the shape a supply-chain probe fills (`SbomIndexSnapshot`, docs/inventory.md):
per SBOM its image and subject digest (from metadata.component: the OCI purl, or its
SHA-256 hash), whether it is valid against the CycloneDX schema of its spec version, and
its components. An invalid SBOM is evidence for a control, not bad input for the scan: a
field of the wrong type is an error of its entry, never a crash.

The folder is walked without leaving the tree it must lie in: only regular files are read,
a symbolic link is followed only to a file inside the tree, and everything passed over is
recorded with why. The folder and the bytes read from it are bounded.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.xml import XmlValidator
from packageurl import PackageURL

from kaze_policy.errors import InputError
from kaze_policy.inventory import SNAPSHOT_API, Origin, Resource
from kaze_policy.sources.cyclonedx_schema import first_error
from kaze_policy.sources.files import Skipped, entry_kind, read_bytes

SBOM_SUFFIXES = (".cdx.json", ".cdx.xml", ".bom.json")
# Files and folders an SBOM folder may hold, bytes of SBOMs read from it and components
# listed in them, in all: a cell ships one SBOM per image, a few thousand components each.
# The components bound the time: the CycloneDX schema costs about a millisecond each.
MAX_SBOM_ENTRIES = 10_000
MAX_SBOM_BYTES = 256 * 1024 * 1024
MAX_SBOM_COMPONENTS = 100_000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NOT_AN_SBOM = "not read: an SBOM is named *.cdx.json, *.cdx.xml or *.bom.json"


@dataclass
class SbomFolder:
    """The SBOMs of one folder, described, and what the walk passed over."""

    folder: Path
    sboms: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def index(self) -> Resource:
        """A new index resource (each target gets its own: the inventory numbers its ids)."""
        name = self.folder.name
        obj = {"apiVersion": SNAPSHOT_API, "kind": "SbomIndexSnapshot",
               "metadata": {"name": name}, "source": str(self.folder), "sboms": self.sboms}
        return Resource(kind="SbomIndexSnapshot", name=name, obj=obj, origin=Origin(str(self.folder)),
                        source="sbom-files", api_version=SNAPSHOT_API)


@lru_cache(maxsize=16)
def _xml_validator(version: str) -> XmlValidator:
    return XmlValidator(SchemaVersion.from_version(version))


def validate(text: str, fmt: str, version: str) -> list[str]:
    """Schema errors of one CycloneDX document (empty when valid)."""
    if fmt == "json":
        try:
            document = _strict_json(text)
        except ValueError as err:
            return [f"not JSON: {err}"]
        error = first_error(document, version)
        return [] if error is None else [error]
    try:
        error = _xml_validator(version).validate_str(text)
    except ValueError as err:  # unknown spec version
        return [str(err)]
    except SyntaxError as err:  # lxml's XMLSyntaxError: the text is not well-formed XML
        return [f"not XML: {err.msg}"[:500]]
    return [] if error is None else [str(error)[:500]]


def read_sbom_folder(folder: Path, tree: Path, max_bytes: int) -> SbomFolder:
    """Every SBOM of a folder that lies in `tree` (resolved), described, in the order of their paths."""
    result = SbomFolder(folder)
    total, budget = 0, [MAX_SBOM_COMPONENTS]
    for path in sorted(_sbom_files(folder, tree, result.skipped)):
        data = read_bytes(path, max_bytes)
        total += len(data)
        if total > MAX_SBOM_BYTES:
            raise InputError(f"the SBOMs of this folder hold more than {MAX_SBOM_BYTES} bytes in all "
                             f"(the limit of an SBOM folder)", str(path))
        result.sboms.append(describe(path, data, budget))
    return result


def _sbom_files(folder: Path, tree: Path, skipped: list[Skipped]) -> list[Path]:
    """The SBOM files below a folder; symbolic links to folders are not followed (as in discovery)."""
    files: list[Path] = []
    pending, entries = [folder], 0
    while pending:
        here = pending.pop()
        try:
            with os.scandir(here) as listing:
                found = list(listing)
        except OSError as err:
            raise InputError(f"cannot read the SBOM folder ({err.strerror})", str(here)) from None
        entries += len(found)
        if entries > MAX_SBOM_ENTRIES:
            raise InputError(f"the SBOM folder holds more than {MAX_SBOM_ENTRIES} files and folders "
                             f"(the limit of an SBOM folder)", str(folder))
        for entry in found:
            path = Path(entry.path)
            what = entry_kind(entry, tree)
            if what == "folder":
                pending.append(path)
            elif what != "file":
                skipped.append(Skipped(str(path), what))
            elif entry.name.endswith(SBOM_SUFFIXES):
                files.append(path)
            else:
                skipped.append(Skipped(str(path), _NOT_AN_SBOM))
    return files


def describe(path: Path, data: bytes, budget: list[int] | None = None) -> dict[str, Any]:
    """The index entry of one SBOM; `budget` holds the components the folder may still list."""
    entry: dict[str, Any] = {"file": str(path), "image": None, "valid": False, "errors": [],
                             "specVersion": None, "subjectDigest": None, "components": []}
    if path.name.endswith(".xml"):
        entry["errors"] = ["XML SBOMs are validated but not indexed; ship the JSON form"]
        return entry
    try:
        document = _strict_json(data)
    except ValueError as err:
        entry["errors"] = [f"not JSON: {err}"]
        return entry
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        entry["errors"] = ["not a CycloneDX document (bomFormat)"]
        return entry
    _spend(budget if budget is not None else [MAX_SBOM_COMPONENTS], document, path)
    version = document.get("specVersion")
    entry["specVersion"] = _text(version)
    try:
        error = first_error(document, str(version))
    except RecursionError:
        error = "nested too deeply to be validated"
    entry["errors"] = [] if error is None else [error]
    entry["valid"] = error is None
    entry["image"], entry["subjectDigest"] = _subject(_field(_field(document, "metadata", dict), "component", dict))
    entry["components"] = [_component(c) for c in _field(document, "components", list) if isinstance(c, dict)]
    return entry


def _spend(budget: list[int], document: dict[str, Any], path: Path) -> None:
    """Count the components (nested ones too) against the budget, before the schema is applied."""
    pending, count = [document], 0
    while pending:
        components = _field(pending.pop(), "components", list)
        count += len(components)
        pending.extend(c for c in components if isinstance(c, dict) and "components" in c)
    budget[0] -= count
    if budget[0] < 0:
        raise InputError(f"over the limit of {MAX_SBOM_COMPONENTS} components in the SBOMs of a folder "
                         f"(this one lists {count})", str(path))


def _strict_json(data: bytes | str) -> Any:
    """JSON as the CycloneDX schema means it: no NaN or Infinity, no number beyond a double.

    Python reads `NaN` and rounds `1e400` to infinity where every other reader refuses them;
    an SBOM holding them is not JSON (a ValueError, as for any syntax error).
    """
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON number")

    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise ValueError(f"{number[:40]} is beyond the range of a JSON number")
        return value

    try:
        return json.loads(data, parse_constant=refuse, parse_float=finite)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _field(value: dict[str, Any], name: str, kind: type) -> Any:
    """value[name] when the field has the JSON type wanted, else an empty one of that type."""
    found = value.get(name)
    return found if isinstance(found, kind) else kind()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _subject(component: dict[str, Any]) -> tuple[str | None, str | None]:
    """The image and digest an SBOM describes: from its OCI purl, else its name and SHA-256 hash."""
    digest = None
    for hashed in _field(component, "hashes", list):
        if isinstance(hashed, dict) and hashed.get("alg") == "SHA-256" and _SHA256.match(str(hashed.get("content"))):
            digest = f"sha256:{hashed['content']}"
    repository = _text(component.get("name"))
    oci = _oci_purl(component.get("purl"))
    if oci is not None:
        digest = digest or oci.version
        repository = oci.qualifiers.get("repository_url") or repository
    image = f"{repository}@{digest}" if repository and digest else repository
    return image, digest


def _oci_purl(purl: Any) -> PackageURL | None:
    """An OCI package URL as the reference parser (packageurl-python) reads it, else None.

    Its version is the image digest: what follows the last `@`, unescaped (`sha256%3A…`)."""
    if not isinstance(purl, str):
        return None
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    return parsed if parsed.type == "oci" else None


def _component(component: dict[str, Any]) -> dict[str, Any]:
    licenses = []
    for choice in _field(component, "licenses", list):
        if not isinstance(choice, dict):
            continue
        if "expression" in choice:
            licenses.append(str(choice["expression"]))
        lic = _field(choice, "license", dict)
        if lic.get("id") or lic.get("name"):
            licenses.append(str(lic.get("id") or lic.get("name")))
    return {"name": component.get("name"), "version": component.get("version"), "purl": component.get("purl"),
            "hashes": [h for h in _field(component, "hashes", list) if isinstance(h, dict)], "licenses": licenses}
