"""`kaze-policy bundle`: the catalog as an OPA bundle, for an OPA that kaze-policy does not start.

`opa run --server --bundle kaze.tar.gz` then answers `POST /v1/data/<package>/violation` with
`{"input": {"id": <inventory id>, "object": <manifest>}}`, the input the scan and the webhook
give each per-object rule. The bundle holds every policy module (never the tests), a
`.manifest` (revision: kaze-policy's version and a hash of what the bundle holds; roots: the
packages' top-level names and `inventory`), and `data.json`: the `data.inventory` the webhook
starts from before it has seen any object (the configuration, the namespaces it names, where
known custom kinds keep their pods), so that the rules read the same fields they read in kaze-policy.

The archive is deterministic: entries sorted, no directories, fixed mtime, owner and mode, and
a gzip header without name or time. The same catalog and configuration give the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaze_policy import __version__
from kaze_policy.catalog import PACKAGE_LINE, Catalog
from kaze_policy.atomic import write_atomically
from kaze_policy.errors import CatalogError
from kaze_policy.inventory import KNOWN_POD_TEMPLATES, Inventory, Target, configured_pod_templates

# The data root the rules read (`data.inventory`); the bundle owns it, as it owns its packages.
DATA_ROOT = "inventory"
MANIFEST = ".manifest"
DATA_FILE = "data.json"


@dataclass(frozen=True)
class BundleFile:
    name: str  # the path inside the archive
    content: bytes


def static_inventory(config: dict[str, Any] | None, repository: bool = False) -> dict[str, Any]:
    """`data.inventory` with no object in it, as the webhook builds it for an empty cluster.

    `repository`: judge objects as the file scan does (the `iac` scope: a Secret carrying
    literal values fails), rather than as the webhook does (a Secret is the controllers' to fill).
    """
    scopes = {"iac"} if repository else {"cluster"}
    inventory = Inventory(target=Target(name="bundle", path="", kind="files" if repository else "cluster"),
                          config=config, scopes=scopes | {"admission"})
    data = inventory.to_data()
    # The object under review is not in the inventory: its kind's pod template must be (decider.py).
    known = {**KNOWN_POD_TEMPLATES, **configured_pod_templates(config)}
    data["pod_templates"] = {key: list(path) for key, path in sorted(known.items())}
    return data


def bundle_files(catalog: Catalog, policy_dir: Path, data: dict[str, Any]) -> list[BundleFile]:
    """Every entry of the bundle, sorted by name, the manifest included."""
    modules = [BundleFile(path.relative_to(policy_dir).as_posix(), path.read_bytes())
               for path in catalog.policy_files]
    data_file = BundleFile(DATA_FILE, _json({DATA_ROOT: data}))
    content = sorted([*modules, data_file], key=lambda f: f.name)
    manifest = {"revision": revision(content), "roots": roots(catalog), "rego_version": 1,
                "metadata": {"kaze-policy": __version__}}
    return sorted([*content, BundleFile(MANIFEST, _json(manifest))], key=lambda f: f.name)


def roots(catalog: Catalog) -> list[str]:
    """The top-level names of the catalog's packages, and the data root: OPA refuses a bundle
    whose modules or data lie outside its roots, and lets nothing else write under them."""
    tops = set()
    for path in catalog.policy_files:
        found = PACKAGE_LINE.search(path.read_text(encoding="utf-8"))
        if not found:
            raise CatalogError("no package declaration", str(path))
        tops.add(found.group(1).split(".")[0])
    if DATA_ROOT in tops:
        raise CatalogError(f"a package under `{DATA_ROOT}` would overlap the bundle's data root")
    return sorted(tops | {DATA_ROOT})


def revision(files: list[BundleFile]) -> str:
    """kaze-policy's version and a hash of the modules and data: a changed policy, or another
    configuration, is another revision."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}\0{len(f.content)}\0".encode())
        digest.update(f.content)
    return f"{__version__}-{digest.hexdigest()[:16]}"


def archive(files: list[BundleFile]) -> bytes:
    """A .tar.gz of the files, byte for byte the same for the same files."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for f in sorted(files, key=lambda f: f.name):
            info = tarfile.TarInfo(f.name)
            info.size, info.mtime, info.mode = len(f.content), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(f.content))
    packed = io.BytesIO()
    # No file name and mtime 0 in the gzip header: the bytes depend on the content alone.
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def write_bundle(catalog: Catalog, policy_dir: Path, output: Path, config: dict[str, Any] | None = None,
                 repository: bool = False) -> str:
    """Write the bundle (atomically: a temporary file, then a rename); its revision."""
    files = bundle_files(catalog, policy_dir, static_inventory(config, repository))
    write_atomically(output, archive(files))
    manifest = json.loads(next(f.content for f in files if f.name == MANIFEST))
    return str(manifest["revision"])


def _json(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
