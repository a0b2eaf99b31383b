"""manifest.json: what an audit checked and the SHA-256 of every report it wrote, signed if asked.

An auditor must be able to prove later that a report folder was not altered: the manifest
names the targets, the tool, engine and policy versions, the SHA-256 of every policy file and
every input file, the time, and the SHA-256 of every report file beside it. `verify-report`
recomputes them and says what changed. With a key, the manifest's exact bytes are signed with
Ed25519 (`manifest.json.sig`, base64), and `verify-report --key` checks the signature first:
a manifest rewritten to match altered reports fails there.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kaze_policy.errors import InputError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
MANIFEST_VERSION = "kaze.io/audit-manifest/v1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Every regular file under the paths audited (a file given is itself), `.git` left out."""
    files: set[Path] = set()
    for path in paths:
        if path.is_file():
            files.add(path)
        elif path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file() and not p.is_symlink() and ".git" not in p.parts)
    return sorted(files)


def build_manifest(reports: dict[str, bytes], targets: list[dict[str, Any]], inputs: list[Path],
                   policies: list[Path], versions: dict[str, str], taken: dt.datetime | None = None,
                   features: Iterable[Path] = ()) -> dict[str, Any]:
    """The manifest of one audit: `reports` are the report files (name → content) it writes."""
    return {
        "apiVersion": MANIFEST_VERSION,
        "time": (taken or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat(),
        "tool": versions,
        "targets": [{"name": t["name"], "path": t["path"], "kind": t["kind"]} for t in targets],
        "policies": {str(p): sha256(p.read_bytes()) for p in policies},
        "features": {str(p): sha256(p.read_bytes()) for p in features},
        "inputs": {str(p): sha256(p.read_bytes()) for p in inputs},
        "reports": {name: sha256(data) for name, data in sorted(reports.items())},
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()


def sign(data: bytes, key_file: Path) -> bytes:
    """The base64 Ed25519 signature of `data` with the PEM private key in `key_file`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise InputError(f"not a usable Ed25519 private key (PEM, unencrypted): {err}", str(key_file)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("the key is not an Ed25519 private key", str(key_file))
    return base64.b64encode(key.sign(data)) + b"\n"


def verify_folder(folder: Path, public_key: Path | None = None) -> list[str]:
    """What does not hold in a report folder (nothing: it is as the audit wrote it)."""
    try:
        raw = (folder / MANIFEST).read_bytes()
        manifest = json.loads(raw)
    except OSError as err:
        raise InputError(f"no readable {MANIFEST}: {err.strerror or err}", str(folder)) from None
    except ValueError:
        return [f"{MANIFEST} is not JSON: it was altered"]
    problems = _signature_problems(folder, raw, public_key) if public_key is not None else []
    expected = manifest.get("reports") if isinstance(manifest, dict) else None
    if not isinstance(expected, dict):
        return [*problems, f"{MANIFEST} lists no reports: it was altered"]
    for name, digest in sorted(expected.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path.read_bytes()) != digest:
            problems.append(f"{name}: changed (its SHA-256 is not the manifest's)")
    present = {p.name for p in folder.iterdir() if p.is_file()} - {MANIFEST, SIGNATURE}
    problems += [f"{name}: not written by the audit" for name in sorted(present - set(expected))]
    return problems


def _signature_problems(folder: Path, raw: bytes, public_key: Path) -> list[str]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(public_key.read_bytes())
    except (OSError, ValueError) as err:
        raise InputError(f"not a usable public key (PEM): {err}", str(public_key)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the key is not an Ed25519 public key", str(public_key))
    try:
        signature = base64.b64decode((folder / SIGNATURE).read_bytes().strip(), validate=True)
        key.verify(signature, raw)
    except FileNotFoundError:
        return [f"{SIGNATURE}: missing (the manifest is not signed)"]
    except (InvalidSignature, ValueError):
        return [f"{MANIFEST}: its signature does not verify with {public_key.name}: the manifest was altered, "
                "or signed with another key"]
    return []
