"""The scan pipeline: sources → inventory → analyzers → engine → results. No I/O to the user."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kaze_policy import __version__
from kaze_policy.analysis import add_facts
from kaze_policy.analysis.overlays import add_overlay_facts
from kaze_policy.catalog import Catalog, Control
from kaze_policy.config import load_config
from kaze_policy.engine import create_engine
from kaze_policy.errors import EngineError, InputError, KazePolicyError, UsageError
from kaze_policy.evaluate import Waivers, default_workers, evaluate_target, merge
from kaze_policy.inventory import CONFIG_ID, CONFIG_KIND, Inventory, Origin, Resource, Target
from kaze_policy.probes.live import ProbeOptions, run_probes
from kaze_policy.results import ERROR, NOT_APPLICABLE, ScanReport, TargetResult
from kaze_policy.sources.cluster import CLUSTER_SCOPE, DEFAULT_PAGE_SIZE, ClusterRead, is_snapshot, load_snapshot, needs
from kaze_policy.sources.discover import CONFIG_FILE, Found, TargetSpec, discover, nearest_config, repository_root
from kaze_policy.sources.files import DEFAULT_MAX_FILE_BYTES, STDIN, STDIN_NAME, Skipped, describe_skipped, read_bytes
from kaze_policy.sources.kubernetes import object_to_resource
from kaze_policy.sources.kustomize import ToolMissingError
from kaze_policy.sources.load import load_target
from kaze_policy.sources.sbom import SbomFolder, read_sbom_folder


@dataclass
class ScanOptions:
    paths: list[str]
    config: Path | None = None
    engine: str = "embedded"
    opa_url: str | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    today: dt.date | None = None
    controls: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    allow_remote: bool = False  # let kustomize fetch remote bases (the network): off in CI
    workers: int = field(default_factory=default_workers)
    # The repository root: the tree a configuration's sboms folder must lie in (default: the
    # path of the command line the target was found under).
    root: Path | None = None
    # A live cluster to read besides the paths (sources/cluster.py): its kubeconfig and context.
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False  # the pod's own service account, instead of a kubeconfig
    page_size: int = DEFAULT_PAGE_SIZE
    # The live probes (probes/live.py): Vault, PostgreSQL, mTLS ports.
    probes: ProbeOptions = field(default_factory=ProbeOptions)

    @property
    def live(self) -> bool:
        return self.kubeconfig is not None or self.in_cluster or self.probes.any


# The phases of a scan as the progress callback names them: files read, kustomizations
# rendered, targets analysed (configuration, SBOMs, analyzer facts), checks evaluated (one
# control on one target). The loading phases alternate target by target, so each phase
# has its own count: progress(phase, done, total), total known from the start.
READING, RENDERING, ANALYSING, EVALUATING = "reading", "rendering", "analysing", "evaluating"
PHASES = (READING, RENDERING, ANALYSING, EVALUATING)
ProgressCallback = Callable[[str, int, int], None]


class _Phases:
    """Counts per phase, reported to the callback (or nowhere)."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self._progress = progress
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}

    def start(self, phase: str, total: int) -> None:
        self._done[phase], self._total[phase] = 0, total
        if self._progress and total:
            self._progress(phase, 0, total)

    def advance(self, phase: str, by: int = 1) -> None:
        self._done[phase] += by
        if self._progress and by:
            self._progress(phase, self._done[phase], self._total[phase])


@dataclass
class Loaded:
    """Every target parsed, with what discovery and loading passed over."""

    inventories: list[Inventory] = field(default_factory=list)
    # Targets that could not be loaded for want of a tool (their controls are errors).
    unloadable: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Per inventory, how many of the skipped entries belong to its own files.
    skipped_per_target: list[int] = field(default_factory=list)
    # Configurations and SBOM folders read so far, by resolved path: each is read once.
    configs: dict[Path, dict] = field(default_factory=dict)
    sbom_folders: dict[tuple[Path, Path], SbomFolder] = field(default_factory=dict)
    # Each live cluster's read (or snapshot), by target name: the kinds it could not list or
    # could not tell it holds make the controls that need them errors.
    cluster_reads: dict[str, ClusterRead] = field(default_factory=dict)
    # Live systems that could not be read: (system, why, scope). The controls of that scope are errors.
    unreachable: list[tuple[str, str, str]] = field(default_factory=list)


def load_inventories(options: ScanOptions, phases: _Phases | None = None,
                     controls: list[Control] | None = None) -> Loaded:
    """Every target, fully parsed before anything is evaluated: bad input stops here.

    A path of the command line in which nothing is found to judge is bad input: a scan that
    read nothing must not pass. A live cluster (options.kubeconfig) is read for the kinds
    `controls` need (default: every control's).
    """
    if options.root is not None and not options.root.is_dir():
        raise UsageError("--root: not a folder", str(options.root))
    phases = phases or _Phases(None)
    explicit = load_config(options.config) if options.config else None
    loaded = Loaded()
    parts: set[str] = set()
    founds = discover(options.paths, tuple(options.exclude))
    specs = [spec for found in founds for spec in found.targets]
    phases.start(READING, sum(len(spec.files) for spec in specs if spec.kind != "kustomize"))
    phases.start(RENDERING, sum(1 for spec in specs if spec.kind == "kustomize"))
    phases.start(ANALYSING, len(specs))
    for found in founds:
        parts.update(spec.name for spec in found.targets if spec.included)
        _load_path(found, loaded, explicit, options, phases)
    if options.live:
        _load_live(options, loaded, explicit, controls)
    if options.probes.verifies_images:
        _verify_signatures(options.probes, loaded)
    add_overlay_facts(loaded.inventories, parts)
    return loaded


def _load_live(options: ScanOptions, loaded: Loaded, explicit: dict | None,
               controls: list[Control] | None) -> None:
    """The live systems as one target: the cluster's objects and what each probe read. A system
    that cannot be read is recorded, and the controls of its scope are errors."""
    read = _read_cluster(options, loaded, controls) if options.kubeconfig is not None or options.in_cluster else None
    documents, failures = run_probes(options.probes, read.inventory.resources if read is not None else None)
    loaded.unreachable.extend(failures)
    if read is None and not documents:
        return
    if read is None:
        name = " + ".join(origin for _, origin in documents)
        read = ClusterRead(Inventory(target=Target(name=name, path=name, kind="live"), scopes=set()))
    read.inventory.add([object_to_resource(document, Origin(origin), PROBE_SOURCE) for document, origin in documents])
    _add_cluster(read, loaded, explicit, options)


PROBE_SOURCE = "probe"


def _verify_signatures(probes: ProbeOptions, loaded: Loaded) -> None:
    """Each target's images verified against their Sigstore bundles (KZ-SUP-02): one
    ImageVerificationSnapshot per target that runs images pinned by digest."""
    from kaze_policy.probes import ProbeFailed
    from kaze_policy.probes.live import verify_images

    where = str(probes.signatures) if probes.signatures is not None else "the images' registries"
    for inventory in loaded.inventories:
        try:
            document = verify_images(probes, inventory.resources, inventory.config)
        except ProbeFailed as err:
            loaded.unreachable.append((str(err.file), err.message, err.scope))
            return
        if document["images"]:
            inventory.add([object_to_resource(document, Origin(where), PROBE_SOURCE)])


def _read_cluster(options: ScanOptions, loaded: Loaded, controls: list[Control] | None) -> ClusterRead | None:
    from kaze_policy.catalog import load_catalog
    from kaze_policy.sources.cluster import ClusterUnreachable, ReadOptions, kinds_to_read, read_cluster

    kinds = kinds_to_read(controls if controls is not None else load_catalog().controls)
    read_options = ReadOptions(options.kubeconfig, options.context, options.page_size)
    try:
        return read_cluster(read_options, kinds)
    except ClusterUnreachable as err:
        loaded.unreachable.append((err.file or str(options.kubeconfig or "in-cluster"), err.message, CLUSTER_SCOPE))
        return None


def _cluster_snapshot(spec: TargetSpec, max_bytes: int) -> dict | None:
    """The cluster snapshot a target of one JSON file holds (`kaze-policy snapshot`), if it holds one."""
    if spec.kind != "files" or spec.stdin or len(spec.files) != 1 or spec.files[0].suffix != ".json":
        return None
    try:
        value = json.loads(read_bytes(spec.files[0], max_bytes))
    except (ValueError, RecursionError):
        return None  # not JSON: the file sources say what is wrong with it
    return value if is_snapshot(value) else None


def _add_cluster(read: ClusterRead, loaded: Loaded, explicit: dict | None, options: ScanOptions) -> None:
    """A live read (or its snapshot) as a target, configured as standard input is: the nearest
    configuration to the current folder, SBOMs from within --root or the current folder."""
    inventory = read.inventory
    tree = (options.root or Path.cwd()).resolve()
    _configure(inventory, Path.cwd(), tree, explicit, options, loaded)
    loaded.inventories.append(inventory)
    loaded.skipped_per_target.append(0)
    loaded.cluster_reads[inventory.target.name] = read


def _load_path(found: Found, loaded: Loaded, explicit: dict | None, options: ScanOptions,
               phases: _Phases) -> None:
    """The targets of one path of the command line; bad input when none holds anything to judge."""
    loaded.skipped.extend(found.skipped)
    judged, missing_tool = 0, False
    for spec in found.targets:
        snapshot = _cluster_snapshot(spec, options.max_file_bytes)
        if snapshot is not None:
            phases.advance(READING)
            _add_cluster(load_snapshot(snapshot, str(spec.files[0])), loaded, explicit, options)
            phases.advance(ANALYSING)
            judged += 1
            continue
        try:
            inventory = load_target(spec, options.max_file_bytes, options.allow_remote)
        except ToolMissingError as err:
            loaded.unloadable.append((spec.name, str(err)))
            missing_tool = True
            phases.advance(RENDERING)
            phases.advance(ANALYSING)
            continue
        if spec.kind == "kustomize":
            phases.advance(RENDERING)
        else:
            phases.advance(READING, len(spec.files))
        loaded.skipped.extend(spec.skipped)
        judged += len(inventory.resources)
        _configure(inventory, Path.cwd() if spec.stdin else spec.path, _tree(spec, options), explicit, options,
                   loaded)
        phases.advance(ANALYSING)
        judged += _reads_its_config(inventory, spec)
        loaded.inventories.append(inventory)
        loaded.skipped_per_target.append(len(spec.skipped))
    if judged == 0 and not missing_tool:
        raise _nothing_to_scan(found)


def _configure(inventory: Inventory, near: Path, tree: Path, explicit: dict | None, options: ScanOptions,
               loaded: Loaded) -> None:
    """The target's configuration (explicit, or the nearest to `near`), its SBOMs (from within
    `tree`) and analyzer facts."""
    if explicit is not None:
        inventory.config, inventory.config_file = explicit, str(options.config)
    else:
        found = nearest_config(near)
        if found is not None:
            if found not in loaded.configs:
                loaded.configs[found] = load_config(found)
            inventory.config, inventory.config_file = loaded.configs[found], str(found)
    _add_config_resource(inventory)
    _add_shipped_sboms(inventory, tree, options, loaded)
    add_facts(inventory)


def _reads_its_config(inventory: Inventory, spec: TargetSpec) -> bool:
    """Whether the target's configuration is one of its own files: then it is judged too
    (an egress allowlist, say), and the target holds something to judge."""
    if inventory.config_file is None:
        return False
    config = Path(inventory.config_file).resolve()
    return any(file.name == CONFIG_FILE and file.resolve() == config for file in spec.files)


def _nothing_to_scan(found: Found) -> InputError:
    """One line: what was read under a path of the command line, and why none of it counted."""
    files = sum(len(spec.files) for spec in found.targets if spec.kind == "files")
    builds = sum(1 for spec in found.targets if spec.kind == "kustomize")
    read = [f"{n} {one if n == 1 else many}" for n, one, many in
            ((files, "file read", "files read"), (builds, "kustomization built", "kustomizations built")) if n]
    passed = found.skipped + [s for spec in found.targets for s in spec.skipped]
    shown = STDIN_NAME if found.given == STDIN else found.given
    if len(found.targets) == 1 and found.targets[0].explicit and len(passed) == 1:
        return InputError(f"nothing to scan: {passed[0].reason}", shown)
    what = "no file to read"
    if read:
        what = " and ".join(read) + (", no resource in it" if files + builds == 1 else ", no resource in them")
    why = f"; passed over: {describe_skipped(passed)}" if passed else ""
    return InputError(f"nothing to scan: {what}{why}", shown)


def _add_config_resource(inventory: Inventory) -> None:
    """The configuration is an input of the target too: findings about it name its file."""
    if inventory.config is None or inventory.config_file is None:
        return
    inventory.add([Resource(kind=CONFIG_KIND, name=CONFIG_ID, obj=inventory.config, id=CONFIG_ID,
                            origin=Origin(inventory.config_file), source="config", api_version="kaze.io/v1")])


def _add_shipped_sboms(inventory: Inventory, tree: Path, options: ScanOptions, loaded: Loaded) -> None:
    """The SBOMs a cell ships (kaze-policy.yaml `sboms`, relative to that file), as an index.

    The folder must lie in the scanned tree (or the --root), after its symbolic links are
    resolved: a configuration cannot make the scan read /etc or walk /.
    """
    folder = (inventory.config or {}).get("sboms")
    if not folder or not inventory.config_file:
        return
    path = Path(inventory.config_file).parent / folder
    resolved = path.resolve()
    if not resolved.is_relative_to(tree):
        raise InputError(_outside(folder, resolved, tree, options.root is not None), inventory.config_file)
    if not resolved.is_dir():
        raise InputError(f"sboms: {folder} is not a folder", inventory.config_file)
    key = (resolved, tree)  # a link in the folder is followed only into the tree
    if key not in loaded.sbom_folders:
        loaded.sbom_folders[key] = read_sbom_folder(path, tree, options.max_file_bytes)
        loaded.skipped.extend(loaded.sbom_folders[key].skipped)
    inventory.add([loaded.sbom_folders[key].index()])


def _tree(spec: TargetSpec, options: ScanOptions) -> Path:
    """The tree a target's files may come from: --root, else the path of the command line it
    was found under (a file's folder; the current folder for standard input), resolved."""
    if options.root is not None:
        return options.root.resolve()
    if spec.stdin:
        return Path.cwd().resolve()
    given = Path(spec.given).resolve()
    return given if given.is_dir() else given.parent


def repository_of(paths: list[str]) -> Path | None:
    """The git work tree that holds every path (the nearest folder with a `.git`), or None.

    An audit names a cell's folder, and the cell's configuration may name SBOMs elsewhere in
    its repository: the repository is then the tree the audit stays in. A scan keeps to the
    paths it is given (a pull request's check names the tree it trusts with --root)."""
    roots = set()
    for given in paths:
        if given == "-":
            return None
        found = repository_root(Path(given))
        if found is None:
            return None
        roots.add(found)
    return roots.pop() if len(roots) == 1 else None


def _outside(folder: str, resolved: Path, tree: Path, rooted: bool) -> str:
    """Why a sboms folder is refused, with the --root that would hold it when there is a sensible one."""
    if rooted:
        return f"sboms: {folder} lies outside the scanned tree, --root {_shown(tree)}"
    common = Path(os.path.commonpath([resolved, tree]))
    hint = f" (e.g. --root {_shown(common)})" if common != Path(common.anchor) else ""
    return (f"sboms: {folder} lies outside the scanned tree {_shown(tree)}: scan the repository root, "
            f"or give --root with the folder that holds both{hint}")


def _shown(path: Path) -> str:
    """A path relative to the current folder when it lies in it, else absolute."""
    cwd = Path.cwd().resolve()
    return os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)


def run_scan(options: ScanOptions, catalog: Catalog,
             progress: ProgressCallback | None = None) -> ScanReport:
    """The whole scan; `progress(phase, done, total)` is told how far each phase of PHASES is."""
    phases = _Phases(progress)
    controls = _selected(catalog, options.controls)
    loaded = load_inventories(options, phases, controls)
    inventories = loaded.inventories
    per_target: list[dict[str, TargetResult]] = []
    for name, reason in loaded.unloadable:
        per_target.append({c.id: TargetResult(name, ERROR, reason) for c in controls})
    for name, reason, scope in loaded.unreachable:
        per_target.append({c.id: TargetResult(name, ERROR, reason) if scope in c.scopes
                           else TargetResult(name, NOT_APPLICABLE, _not_for(scope)) for c in controls})
    waivers = _waivers_by_config(inventories)
    try:
        engine = create_engine(options.engine, options.opa_url)
        try:
            engine.load_policies(catalog.policy_files)
        except KazePolicyError:
            engine.close()
            raise
    except KazePolicyError as err:
        # The engine itself is unusable: every control is an error on every target.
        for inventory in inventories:
            per_target.append({c.id: TargetResult(inventory.target.name, ERROR, str(err)) for c in controls})
        return _with_waivers(_report(controls, per_target, loaded, options.engine), waivers, options)
    phases.start(EVALUATING, len(controls) * len(inventories))
    with engine:
        for inventory in inventories:
            try:
                results = evaluate_target(engine, controls, inventory, options.today,
                                          lambda _: phases.advance(EVALUATING), workers=options.workers,
                                          waivers=waivers[inventory.config_file])
            except EngineError as err:
                # The engine refused the target's data (an OPA server that stopped): nothing of
                # this target is judged, and the targets judged before keep their verdicts.
                per_target.append({c.id: TargetResult(inventory.target.name, ERROR, str(err)) for c in controls})
                continue
            per_target.append(_unreadable_kinds(results, controls, loaded.cluster_reads.get(inventory.target.name)))
    return _with_waivers(_report(controls, per_target, loaded, options.engine), waivers, options)


NOT_FOR_A_CLUSTER = "needs infrastructure-as-code files (or a snapshot); a live cluster is judged by the cluster scope"


def _not_for(scope: str) -> str:
    """Why a control of other scopes says nothing about a live system that could not be read."""
    return NOT_FOR_A_CLUSTER if scope == CLUSTER_SCOPE else f"judges no part of a live system of the {scope} scope"


def _unreadable_kinds(results: dict[str, TargetResult], controls: list[Control],
                      read: ClusterRead | None) -> dict[str, TargetResult]:
    """A control judged without objects it needs (the credentials could not list them, or
    whether the cluster serves them is unknown) is an error saying which and why, whatever it
    found in the rest: never a pass."""
    if read is None:
        return results
    forbidden, undiscovered = read.forbidden, read.undiscovered
    for control in controls:
        if CLUSTER_SCOPE not in control.scopes:
            continue
        reasons = []
        missing = [f"{kind}: {why}" for kind, why in sorted(forbidden.items()) if needs(control, kind)]
        if missing:
            reasons.append("cannot list what it needs; the credentials lack " + "; ".join(missing))
        unknown = sorted(kind for kind in undiscovered if needs(control, kind))
        if unknown:
            whys = sorted({undiscovered[kind] for kind in unknown})  # one, from a live read
            reasons.append(f"cannot tell whether the cluster holds {', '.join(unknown)}: {'; '.join(whys)}")
        if reasons:
            results[control.id] = TargetResult(results[control.id].target, ERROR, "; ".join(reasons))
    return results


def _with_waivers(report: ScanReport, waivers: dict[str | None, Waivers], options: ScanOptions) -> ScanReport:
    day = options.today or dt.date.today()
    report.waivers = [outcome for w in waivers.values() for outcome in w.outcomes(day)]
    return report


def _waivers_by_config(inventories: list[Inventory]) -> dict[str | None, Waivers]:
    """One set of waivers per configuration file, shared by every target it applies to: a
    waiver is unused only when it matched nothing on any of them."""
    by_config: dict[str | None, Waivers] = {}
    for inventory in inventories:
        if inventory.config_file not in by_config:
            by_config[inventory.config_file] = Waivers((inventory.config or {}).get("waivers") or [],
                                                       inventory.config_file)
    return by_config


def _selected(catalog: Catalog, wanted: list[str]) -> list[Control]:
    if not wanted:
        return catalog.controls
    known = catalog.by_id()
    missing = [w for w in wanted if w not in known]
    if missing:
        raise UsageError(f"unknown control id(s): {', '.join(missing)}")
    return [known[w] for w in wanted]


def _files_read(inventory: Inventory) -> int:
    """The files the target's resources came from (its configuration's, an SBOM folder, among them);
    a live cluster's objects come from no file."""
    if inventory.target.kind in ("cluster", "live"):
        return sum(1 for r in inventory.resources if r.source not in ("cluster", PROBE_SOURCE))
    return len({r.origin.file for r in inventory.resources})


def _report(controls: list[Control], per_target: list[dict[str, TargetResult]], loaded: Loaded,
            engine: str) -> ScanReport:
    targets = [{
        "name": inv.target.name, "path": inv.target.path, "kind": inv.target.kind,
        "resources": len(inv.resources), "files": _files_read(inv), "skipped": skipped,
        "config": inv.config_file, "scopes": sorted(inv.scopes),
    } for inv, skipped in zip(loaded.inventories, loaded.skipped_per_target)]
    return ScanReport(results=merge(controls, per_target), targets=targets, engine=engine,
                      tool_version=__version__, skipped=loaded.skipped)
