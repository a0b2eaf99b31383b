"""Mutation testing of the catalog: break the shipped stack on purpose, expect the control to fail.

The stack is materialized once: each Kustomize overlay rendered by the real kustomize into
one YAML stream (with the overlay's configuration beside it), and the other files of infra/
(Terraform, Vault, Dockerfiles, SBOMs) copied as they are. A mutation edits one target's
copy — documents of a rendered overlay, or the text of a file — and the target is scanned.
It is *killed* when the control it names fails with a finding on the resource the mutation
names (a failure elsewhere is not this mutation caught); the report lists every other control
it trips.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from kaze_policy.catalog import Catalog
from kaze_policy.scan import ScanOptions, run_scan
from kaze_policy.sources.discover import find_targets, nearest_config
from kaze_policy.tools import find_tool

Docs = list[dict[str, Any]]
LOOSE = "files"


@dataclass
class Mutation:
    name: str
    control: str
    target: str  # an overlay name, or LOOSE for the files outside kustomize
    docs: Callable[[Docs], None] | None = None  # edits rendered documents in place
    files: Callable[[Path], None] | None = None  # edits files under the target's folder
    # Edits a copy of the whole infra/ tree, scanned as it is (overlays stay Kustomize
    # targets): for controls that compare overlays.
    source: Callable[[Path], None] | None = None
    # The id of the resource a finding of the control must name: the mutated one, or for a
    # removal the object that now lacks it (the namespace, the cell's configuration).
    names: str = ""

    @property
    def family(self) -> str:
        return self.control.split("-")[1]


@dataclass
class Outcome:
    mutation: Mutation
    killed: bool
    control_status: str
    also_failed: list[str] = field(default_factory=list)
    note: str = ""
    named: list[str] = field(default_factory=list)  # the resources the control's findings name


SOURCE = "infra"


class MaterializedStack:
    def __init__(self, infra: Path, workdir: Path) -> None:
        self.infra = infra
        self.base = workdir / "base"
        self.base.mkdir(parents=True)
        kustomize = find_tool("kustomize")
        for spec in find_targets([str(infra)]):
            if spec.kind == "kustomize" and spec.included:
                continue  # a base or a tenant: mutations name the overlays (the cells)
            if spec.kind == "kustomize":
                folder = self.base / spec.path.name
                folder.mkdir()
                rendered = subprocess.run([kustomize, "build", str(spec.path)], capture_output=True, check=True).stdout
                docs = [d for d in yaml.safe_load_all(rendered) if d]
                (folder / "rendered.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
                config = nearest_config(spec.path)
                if config:
                    _copy_config(config, folder)
            else:
                folder = self.base / LOOSE
                for file in spec.files:
                    if "kubernetes" in file.relative_to(infra).parts:
                        continue
                    dest = folder / file.relative_to(infra)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(file, dest)
        self.targets = sorted(p.name for p in self.base.iterdir())

    def mutated_copy(self, mutation: Mutation, into: Path) -> Path:
        if mutation.source:
            folder = into / mutation.name
            shutil.copytree(self.infra, folder)
            mutation.source(folder)
            return folder
        source = self.base / mutation.target
        if not source.is_dir():
            raise KeyError(f"no target {mutation.target!r}; have {self.targets}")
        folder = into / mutation.name
        shutil.copytree(source, folder)
        if mutation.docs:
            rendered = folder / "rendered.yaml"
            docs = [d for d in yaml.safe_load_all(rendered.read_text()) if d]
            before = copy.deepcopy(docs)
            mutation.docs(docs)
            if docs == before:
                raise AssertionError(f"mutation {mutation.name} changed nothing")
            rendered.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        if mutation.files:
            mutation.files(folder)
        return folder


def _copy_config(config: Path, folder: Path) -> None:
    """The overlay's configuration beside its rendered documents, with the SBOMs it names."""
    settings = yaml.safe_load(config.read_text())
    if settings.get("sboms"):
        shutil.copytree(config.parent / settings["sboms"], folder / "sboms")
        settings["sboms"] = "sboms"
    (folder / "kaze-policy.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))


def scan_statuses(folder: Path, catalog: Catalog, controls: list[str] | None = None) -> dict[str, str]:
    return {control: status for control, (status, _) in scan_results(folder, catalog, controls).items()}


def scan_results(folder: Path, catalog: Catalog, controls: list[str] | None = None) -> dict[str, tuple[str, set[str]]]:
    """Each control's status (of `controls`, None: all), and the ids of the resources its findings name."""
    report = run_scan(ScanOptions(paths=[str(folder)], controls=controls or []), catalog)
    return {r.control.id: (r.status, {str(f.resource.get("id")) for f in r.findings}) for r in report.results}


def run_mutations(stack: MaterializedStack, mutations: list[Mutation], catalog: Catalog, workdir: Path,
                  controls: list[str] | None = None) -> list[Outcome]:
    """Each mutation's outcome; `controls` limits the scans to those (None: every control)."""
    known = catalog.by_id()
    baseline = {target: scan_statuses(stack.base / target, catalog, controls) for target in stack.targets}
    unnamed = [m.name for m in mutations if not m.names]
    if unnamed:
        raise AssertionError(f"mutations that name no resource for their finding: {unnamed}")
    if any(m.source for m in mutations):
        baseline[SOURCE] = scan_statuses(stack.infra, catalog, controls)
    outcomes = []
    for mutation in mutations:
        # Applied and scanned even when its control is absent: the mutation itself is checked.
        results = scan_results(stack.mutated_copy(mutation, workdir), catalog, controls)
        statuses = {control: status for control, (status, _) in results.items()}
        if mutation.control not in known:
            also = sorted(c for c, s in statuses.items() if s == "fail")
            outcomes.append(Outcome(mutation, False, "absent", also, note="control not written yet"))
            continue
        before = baseline[SOURCE if mutation.source else mutation.target]
        also = sorted(c for c, s in statuses.items() if s == "fail" and before.get(c) != "fail" and c != mutation.control)
        named = sorted(results.get(mutation.control, ("absent", set()))[1])
        note = "" if before.get(mutation.control) != "fail" else "control already failed before the mutation"
        if not note and statuses.get(mutation.control) == "fail" and mutation.names not in named:
            note = f"no finding names {mutation.names}; findings name {named}"
        killed = statuses.get(mutation.control) == "fail" and not note
        outcomes.append(Outcome(mutation, killed, statuses.get(mutation.control, "absent"), also, note, named))
    return outcomes


def render_report(outcomes: list[Outcome]) -> str:
    lines = [f"{'mutation':<44} {'control':<10} {'status':<15} {'caught':<7} also failing"]
    for o in outcomes:
        lines.append(f"{o.mutation.name:<44} {o.mutation.control:<10} {o.control_status:<15} "
                     f"{'yes' if o.killed else 'NO':<7} {', '.join(o.also_failed)}{(' (' + o.note + ')') if o.note else ''}")
    killed = sum(o.killed for o in outcomes)
    lines.append(f"kill rate: {killed}/{len(outcomes)} = {100 * killed / max(len(outcomes), 1):.1f} %")
    return "\n".join(lines)
