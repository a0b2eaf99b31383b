"""CycloneDX SBOMs shipped with a cell, validated with cyclonedx-python-lib, as an SBOM index.

The index has the shape a supply-chain probe fills (`SbomIndexSnapshot`, docs/inventory.md):
per SBOM its image and subject digest (from metadata.component: the OCI purl, or its
SHA-256 hash), whether it is valid against the CycloneDX schema of its spec version, and
its components. An invalid SBOM is evidence for a control, not bad input for the scan.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator

from kaze_policy.inventory import SNAPSHOT_API, Origin, Resource
from kaze_policy.sources.files import read_bytes

SBOM_SUFFIXES = (".cdx.json", ".cdx.xml", ".bom.json")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=16)
def _validator(fmt: str, version: str) -> JsonStrictValidator | XmlValidator:
    schema = SchemaVersion.from_version(version)
    return JsonStrictValidator(schema) if fmt == "json" else XmlValidator(schema)


def validate(text: str, fmt: str, version: str) -> list[str]:
    """Schema errors of one CycloneDX document (empty when valid)."""
    try:
        error = _validator(fmt, version).validate_str(text)
    except ValueError as err:  # unknown spec version
        return [str(err)]
    return [] if error is None else [str(error)[:500]]


def load_sbom_index(folder: Path, max_bytes: int) -> Resource:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SBOM_SUFFIXES))
    sboms = [describe(path, read_bytes(path, max_bytes)) for path in files]
    obj = {"apiVersion": SNAPSHOT_API, "kind": "SbomIndexSnapshot",
           "metadata": {"name": folder.name}, "source": str(folder), "sboms": sboms}
    return Resource(kind="SbomIndexSnapshot", name=folder.name, obj=obj, origin=Origin(str(folder)),
                    source="sbom-files", api_version=SNAPSHOT_API)


def describe(path: Path, data: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": str(path), "image": None, "valid": False, "errors": [],
                             "specVersion": None, "subjectDigest": None, "components": []}
    if path.name.endswith(".xml"):
        entry["errors"] = ["XML SBOMs are validated but not indexed; ship the JSON form"]
        return entry
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        entry["errors"] = [f"not JSON: {err}"]
        return entry
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        entry["errors"] = ["not a CycloneDX document (bomFormat)"]
        return entry
    version = str(document.get("specVersion"))
    entry["specVersion"] = version
    entry["errors"] = validate(data.decode("utf-8"), "json", version)
    entry["valid"] = not entry["errors"]
    subject = (document.get("metadata") or {}).get("component") or {}
    entry["image"], entry["subjectDigest"] = _subject(subject)
    entry["components"] = [_component(c) for c in document.get("components") or [] if isinstance(c, dict)]
    return entry


def _subject(component: dict[str, Any]) -> tuple[str | None, str | None]:
    """The image and digest an SBOM describes: from its OCI purl, else its name and SHA-256 hash."""
    digest = None
    for hashed in component.get("hashes") or []:
        if isinstance(hashed, dict) and hashed.get("alg") == "SHA-256" and _SHA256.match(str(hashed.get("content"))):
            digest = f"sha256:{hashed['content']}"
    purl = component.get("purl")
    repository = component.get("name")
    if isinstance(purl, str) and purl.startswith("pkg:oci/"):
        parts = urlsplit(purl)
        name_version = unquote(parts.path.split("/", 1)[-1])
        if "@" in name_version:
            digest = digest or name_version.split("@", 1)[1]
        query = parse_qs(parts.query)
        repository = (query.get("repository_url") or [repository])[0]
    image = f"{repository}@{digest}" if repository and digest else repository
    return image, digest


def _component(component: dict[str, Any]) -> dict[str, Any]:
    licenses = []
    for choice in component.get("licenses") or []:
        if not isinstance(choice, dict):
            continue
        if "expression" in choice:
            licenses.append(str(choice["expression"]))
        lic = choice.get("license") or {}
        if lic.get("id") or lic.get("name"):
            licenses.append(str(lic.get("id") or lic.get("name")))
    return {"name": component.get("name"), "version": component.get("version"), "purl": component.get("purl"),
            "hashes": [h for h in component.get("hashes") or [] if isinstance(h, dict)], "licenses": licenses}
