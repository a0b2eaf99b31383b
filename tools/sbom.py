"""kaze-policy's own CycloneDX SBOM (spec 1.6, JSON), written with cyclonedx-python-lib from
the distributions installed in the environment that runs this script: kaze-policy (the
subject, metadata.component) and every distribution it needs at run time (its Requires-Dist,
with the extras asked for and the environment markers evaluated here, transitively), each
with its name, version, package URL (pkg:pypi/...), licence and a SHA-256 hash.

    python tools/sbom.py --wheels dist/ --output reports/sbom/kaze-policy.cdx.json   # make sbom

Which bytes each hash is of (the property `kaze:hash-of` of each component says which):

- its wheel, when one is at hand (--wheels DIR): the SHA-256 the package index publishes and
  `pip install --require-hashes` checks, so anyone can match it. kaze-policy's own component
  takes this one: `make sbom` builds the wheel from the checkout, the image build has it.
- otherwise the files the distribution installed, as its RECORD lists them: an installed
  environment keeps no wheel, and these files are what runs (in the image, say). The hash is
  the SHA-256 of the sorted lines `path<TAB>sha256-of-the-file` for every file RECORD lists
  inside site-packages, leaving out what differs between two installs of one wheel (bytecode,
  the installer's INSTALLER, REQUESTED and direct_url.json, RECORD itself, and scripts, whose
  first line names the environment). Each file is read from the disk and checked against
  RECORD's own hash: a file changed since it was installed stops the SBOM. The same wheel
  installed anywhere gives the same hash, so two SBOMs compare; it is not a hash an index
  publishes, which is why the wheel's is taken when there is one.

An editable install installed no files of its own (a .pth pointing into a checkout): its
component needs its wheel, and without one this script stops rather than hash a .pth.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import re
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import License, LicenseExpression
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.spdx import fixup_id, is_expression
from packageurl import PackageURL
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

try:  # cyclonedx-python-lib 11.x moved the factories to contrib; earlier 11.x re-export them
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:  # pragma: no cover
    from cyclonedx.factory.license import LicenseFactory

ROOT_PACKAGE = "kaze-policy"
DEFAULT_OUTPUT = Path("reports/sbom/kaze-policy.cdx.json")
HASH_OF = "kaze:hash-of"
# Files of a dist-info folder that the installer writes about the installation, not the wheel.
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}
# The licence classifiers of the distributions kaze-policy needs, as SPDX ids. A classifier
# with no single SPDX id ("BSD License") stays a licence name.
CLASSIFIER_SPDX = {
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
}
_LICENSES = LicenseFactory()


class SbomError(Exception):
    """What stops the SBOM: a missing distribution, a changed file, a hash that cannot be had."""


@dataclass(frozen=True)
class Hashed:
    sha256: str
    of: str  # what was hashed: "wheel <file name>" or "installed files (RECORD)"


# The environment -------------------------------------------------------------------------

def installed(paths: list[str] | None = None) -> dict[str, metadata.Distribution]:
    """The distributions on `paths` (default sys.path) by canonical name; the first one found
    wins, as for import."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=paths if paths is not None else sys.path):
        found.setdefault(canonicalize_name(dist.metadata["Name"]), dist)
    return found


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether a Requires-Dist line holds here for the extras asked of its distribution."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras})


def requirements_of(dist: metadata.Distribution, extras: set[str]) -> list[Requirement]:
    return [r for r in map(Requirement, dist.requires or []) if _applies(r, extras)]


def closure(root: str, extras: Iterable[str], dists: dict[str, metadata.Distribution]) -> dict[str, set[str]]:
    """Every distribution `root[extras]` needs, with the extras asked of each. A needed
    distribution that is not installed stops the SBOM: it would leave a component out."""
    wanted: dict[str, set[str]] = {}
    pending = [(canonicalize_name(root), set(extras), root)]
    while pending:
        name, asked, needed_by = pending.pop()
        if name in wanted and asked <= wanted[name]:
            continue
        if name not in dists:
            raise SbomError(f"{name} is needed by {needed_by} but is not installed here")
        wanted.setdefault(name, set()).update(asked)
        for requirement in requirements_of(dists[name], wanted[name]):
            pending.append((canonicalize_name(requirement.name), set(requirement.extras), name))
    return wanted


# Hashes ----------------------------------------------------------------------------------

def _sha256_file(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _record_form(digest: bytes) -> str:
    """A digest as RECORD writes it: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _same_in_every_install(entry: metadata.PackagePath) -> bool:
    parts = entry.parts
    if parts[0] == ".." or "__pycache__" in parts or entry.suffix == ".pyc":
        return False  # a script (its shebang names the environment), or bytecode
    return not (parts[0].endswith(".dist-info") and parts[-1] in _INSTALLER_FILES)


def installed_files_hash(dist: metadata.Distribution) -> str:
    """SHA-256 over `path<TAB>sha256` lines of the installed files (see the module's docstring)."""
    lines = []
    for entry in dist.files or []:
        if entry.hash is None or not _same_in_every_install(entry):
            continue
        digest = _sha256_file(Path(str(dist.locate_file(entry))))
        if entry.hash.mode == "sha256" and entry.hash.value != _record_form(digest):
            raise SbomError(f"{dist.metadata['Name']}: {entry} is not the file that was installed "
                            f"(its SHA-256 differs from RECORD's)")
        lines.append(f"{entry.as_posix()}\t{digest.hex()}\n")
    if not lines:
        raise SbomError(f"{dist.metadata['Name']}: RECORD lists no installed file to hash")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def is_editable(dist: metadata.Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    return bool(json.loads(text).get("dir_info", {}).get("editable"))


def find_wheel(name: str, version: str, folders: Iterable[Path]) -> Path | None:
    """The wheel of `name` `version` in the folders (the first by file name), or None."""
    wanted = (canonicalize_name(name), Version(version))
    for folder in folders:
        for wheel in sorted(folder.glob("*.whl")):
            parsed_name, parsed_version, _, _ = parse_wheel_filename(wheel.name)
            if (parsed_name, parsed_version) == wanted:
                return wheel
    return None


def component_hash(dist: metadata.Distribution, wheels: list[Path]) -> Hashed:
    wheel = find_wheel(dist.metadata["Name"], dist.version, wheels)
    if wheel is not None:
        return Hashed(_sha256_file(wheel).hex(), f"wheel {wheel.name}")
    if is_editable(dist):
        raise SbomError(f"{dist.metadata['Name']} is an editable install (no files of its own to hash): "
                        f"build its wheel and give its folder with --wheels (make sbom does)")
    return Hashed(installed_files_hash(dist), "installed files (RECORD)")


# Licences --------------------------------------------------------------------------------

def _spdx(text: str) -> bool:
    return fixup_id(text) is not None or is_expression(text)


def licenses_of(meta: metadata.PackageMetadata) -> list[License]:
    """The licence as precisely as the metadata says it: License-Expression (PEP 639); else
    a License field that is an SPDX id or expression; else the licence classifiers (several:
    a choice, OR); else a one-line License field as a name; else the classifiers' names."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return [_LICENSES.make_from_string(expression)]
    field = (meta.get("License") or "").strip()
    if field and _spdx(field):
        return [_LICENSES.make_from_string(field)]
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License :: ")]
    ids = sorted({CLASSIFIER_SPDX[c] for c in classifiers if c in CLASSIFIER_SPDX})
    if ids and len(ids) == len(classifiers):
        return [_LICENSES.make_from_string(ids[0]) if len(ids) == 1 else LicenseExpression(" OR ".join(ids))]
    if field and "\n" not in field and len(field) <= 64 and field.upper() != "UNKNOWN":
        return [_LICENSES.make_with_name(field)]
    return [_LICENSES.make_with_name(c.rsplit(" :: ", 1)[-1]) for c in classifiers]


# The BOM ---------------------------------------------------------------------------------

def component(dist: metadata.Distribution, wheels: list[Path], kind: ComponentType) -> Component:
    name = dist.metadata["Name"]
    purl = PackageURL(type="pypi", name=canonicalize_name(name), version=dist.version)
    hashed = component_hash(dist, wheels)
    return Component(type=kind, name=name, version=dist.version, purl=purl, bom_ref=purl.to_string(),
                     description=dist.metadata.get("Summary") or None,
                     hashes=[HashType(alg=HashAlgorithm.SHA_256, content=hashed.sha256)],
                     licenses=licenses_of(dist.metadata), properties=[Property(name=HASH_OF, value=hashed.of)])


def _reproducible() -> tuple[dt.datetime, bool]:
    """The BOM's time: SOURCE_DATE_EPOCH when set (a reproducible build), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc), True
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0), False


def build_bom(root: str, extras: list[str], wheels: list[Path], paths: list[str] | None = None) -> Bom:
    dists = installed(paths)
    wanted = closure(root, extras, dists)
    subject = component(dists[canonicalize_name(root)], wheels, ComponentType.APPLICATION)
    parts = {name: component(dists[name], wheels, ComponentType.LIBRARY)
             for name in sorted(wanted) if name != canonicalize_name(root)}
    when, reproducible = _reproducible()
    serial = _serial(subject, parts.values()) if reproducible else uuid.uuid4()
    bom = Bom(components=parts.values(), serial_number=serial)
    bom.metadata.component = subject
    bom.metadata.timestamp = when
    bom.metadata.tools.components.add(Component(type=ComponentType.LIBRARY, name="cyclonedx-python-lib",
                                                version=metadata.version("cyclonedx-python-lib")))
    _add_dependencies(bom, subject, parts, dists, wanted, root)
    return bom


def _serial(subject: Component, parts: Iterable[Component]) -> uuid.UUID:
    """A serial number derived from what the BOM lists: the same inputs, the same document."""
    listed = sorted(f"{c.purl}#{next(iter(c.hashes)).content}" for c in [subject, *parts])
    return uuid.uuid5(uuid.NAMESPACE_URL, "\n".join(listed))


def _add_dependencies(bom: Bom, subject: Component, parts: dict[str, Component],
                      dists: dict[str, metadata.Distribution], wanted: dict[str, set[str]], root: str) -> None:
    """Who needs whom: the dependency graph CycloneDX readers draw."""
    by_name = {**parts, canonicalize_name(root): subject}
    for name, extras in wanted.items():
        needed = {canonicalize_name(r.name) for r in requirements_of(dists[name], extras)}
        bom.register_dependency(by_name[name], [by_name[n] for n in sorted(needed)])


def render(bom: Bom) -> str:
    """The BOM as CycloneDX 1.6 JSON, checked against the schema by the validator the scan uses."""
    from kaze_policy.sources.sbom import validate

    text = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=2) + "\n"
    errors = validate(text, "json", "1.6")
    if errors:
        raise SbomError(f"the SBOM is not valid CycloneDX 1.6: {errors[0]}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    parser.add_argument("--wheels", type=Path, action="append", default=[],
                        help="a folder of wheels: a distribution found there is hashed by its wheel (repeatable)")
    parser.add_argument("--extra", action="append", default=[], help="an extra of kaze-policy to include (repeatable)")
    args = parser.parse_args(argv)
    try:
        bom = build_bom(ROOT_PACKAGE, args.extra, args.wheels)
        text = render(bom)
    except SbomError as err:
        print(f"sbom: error: {err}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"sbom: {len(bom.components)} components and {bom.metadata.component.name} "
          f"{bom.metadata.component.version} written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
