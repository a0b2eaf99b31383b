"""The control catalog, read from the `# METADATA` block of every package under rego/."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kaze_policy.errors import CatalogError

# The shipped catalog: package data at kaze_policy/rego. In a checkout that is a symbolic link
# to the top-level rego/ (resolved, so that findings name rego/...); in a wheel, maturin's
# `include` has copied the modules there. KAZE_POLICY_DIR points every command elsewhere.
PACKAGED_POLICY_DIR = (Path(__file__).parent / "rego").resolve()
DEFAULT_POLICY_DIR = Path(os.environ.get("KAZE_POLICY_DIR") or PACKAGED_POLICY_DIR)
CONTROL_ID = re.compile(r"^KZ-[A-Z]{3}-\d{2}$")
SEVERITIES = ("critical", "high", "medium", "low")
SCOPES = ("iac", "cluster", "admission", "vault", "supply-chain")
# A module's package line; the other readers of rego/ (exports, the test runner) use it too.
PACKAGE_LINE = re.compile(r"^package\s+([\w.]+)", re.M)


@dataclass(frozen=True)
class Control:
    """One control: its identity, what it enforces and where its rules live."""

    id: str
    title: str
    severity: str
    scopes: tuple[str, ...]
    package: str
    file: str
    description: str = ""
    reference: str = ""
    remediation: str = ""
    kinds: tuple[str, ...] = ()
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    # The rule is about what a whole cell holds (its image policy, its monitoring stack): a
    # part of a cell, judged alone, is judged for it in the cells that include it.
    whole_cell: bool = False

    @property
    def per_object(self) -> bool:
        """Judges one object at a time (so the admission webhook can run it)."""
        return bool(self.kinds)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "severity": self.severity,
            "scopes": list(self.scopes), "reference": self.reference,
            "description": self.description, "remediation": self.remediation,
            "kinds": list(self.kinds), "frameworks": self.frameworks,
            "package": self.package, "file": self.file, "whole_cell": self.whole_cell,
        }


@dataclass
class Catalog:
    controls: list[Control]
    policy_files: list[Path]

    def by_id(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}


_IMPORT_LINE = re.compile(r"^import\s+data\.([\w.]+)", re.M)


def policy_files(policy_dir: Path) -> list[Path]:
    """Policy modules, helpers first, each helper after the helpers it imports: an OPA server
    compiles each upload against what it has (a call to a function not yet uploaded fails)."""
    files = sorted(p for p in policy_dir.rglob("*.rego") if not p.name.endswith("_test.rego"))
    helpers = [p for p in files if "lib" in p.relative_to(policy_dir).parts]
    return _imported_first(helpers) + [p for p in files if p not in helpers]


def _imported_first(files: list[Path]) -> list[Path]:
    """`files` (sorted by name) reordered so that each comes after the files of the packages it
    imports, by name among equals; an import cycle keeps the name order for what is left."""
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    package_of = {p: m.group(1) for p, text in texts.items() if (m := PACKAGE_LINE.search(text))}
    file_of = {package: p for p, package in package_of.items()}
    needs = {p: {file_of[name] for name in _IMPORT_LINE.findall(text) if file_of.get(name, p) != p}
             for p, text in texts.items()}
    ordered: list[Path] = []
    while len(ordered) < len(files):
        ready = [p for p in files if p not in ordered and needs[p] <= set(ordered)]
        ordered += ready or [next(p for p in files if p not in ordered)]
    return ordered


def test_files(policy_dir: Path) -> list[Path]:
    return sorted(policy_dir.rglob("*_test.rego"))


def load_catalog(policy_dir: Path = DEFAULT_POLICY_DIR) -> Catalog:
    if not policy_dir.is_dir():
        raise CatalogError("policy folder not found", str(policy_dir))
    files = policy_files(policy_dir)
    controls: list[Control] = []
    seen: dict[str, str] = {}
    for path in files:
        if "lib" in path.relative_to(policy_dir).parts:
            continue
        control = parse_control(path)
        if control.id in seen:
            raise CatalogError(f"duplicate control id {control.id} (also in {seen[control.id]})", str(path))
        seen[control.id] = str(path)
        controls.append(control)
    controls.sort(key=lambda c: c.id)
    return Catalog(controls=controls, policy_files=files)


def parse_control(path: Path) -> Control:
    text = path.read_text(encoding="utf-8")
    shown = str(path)
    package = PACKAGE_LINE.search(text)
    if not package:
        raise CatalogError("no package declaration", shown)
    meta = _package_metadata(text, shown)
    custom = meta.get("custom") or {}
    cid = custom.get("id")
    if not cid:
        raise CatalogError("package has no control id (METADATA custom.id)", shown)
    if not isinstance(cid, str) or not CONTROL_ID.match(cid):
        raise CatalogError(f"control id {cid!r} is not of the form KZ-<FAMILY>-<NN>", shown)
    severity = custom.get("severity")
    if severity not in SEVERITIES:
        raise CatalogError(f"{cid}: severity {severity!r} is not one of {', '.join(SEVERITIES)}", shown)
    scopes = tuple(custom.get("scopes") or ())
    if not scopes or any(s not in SCOPES for s in scopes):
        raise CatalogError(f"{cid}: scopes {list(scopes)} must be a non-empty subset of {', '.join(SCOPES)}", shown)
    if not meta.get("title"):
        raise CatalogError(f"{cid}: METADATA has no title", shown)
    return Control(
        id=cid, title=str(meta["title"]), severity=severity, scopes=scopes,
        package="data." + package.group(1), file=shown,
        description=str(meta.get("description") or "").strip(),
        reference=str(custom.get("reference") or ""),
        remediation=str(custom.get("remediation") or "").strip(),
        kinds=tuple(custom.get("kinds") or ()),
        frameworks={k: [str(x) for x in v] for k, v in (custom.get("frameworks") or {}).items()},
        whole_cell=custom.get("whole_cell") is True,
    )


def _package_metadata(text: str, shown: str) -> dict[str, Any]:
    """The METADATA block that precedes the package line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "# METADATA":
            block = []
            for follow in lines[i + 1:]:
                if not follow.startswith("#"):
                    break
                block.append(follow[2:] if follow.startswith("# ") else follow[1:])
            try:
                meta = yaml.safe_load("\n".join(block))
            except yaml.YAMLError as err:
                raise CatalogError(f"METADATA is not valid YAML ({err})", shown, i + 1) from None
            if isinstance(meta, dict) and (meta.get("custom") or {}).get("id"):
                return meta
    return {}
