"""`make mutation`: mutmut over the Python core, each mutant against the tests that reach it.

    python tools/mutation/run.py [--workers N] [FILE_OR_FOLDER ...]

FILE_OR_FOLDER are paths under kaze_policy/ (default: DEFAULT_TARGETS). The run happens in
.mutation/ (git-ignored): a pyproject.toml made here for mutmut, and mutmut's copy of the
package in .mutation/mutants/, beside links to the repository's fixtures/, rego/, infra/,
.tools/ and the rest, which the tests read relative to the checkout. mutmut first runs the
selected test files once, recording which test reaches which function (also through the CLI
subprocesses: hooks/), then runs each mutant against those tests alone. The survivors (file,
line, diff) are written to reports/mutation.md and the score of each file is printed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"
MUTANTS = WORK / "mutants"
HOOKS = Path(__file__).resolve().parent / "hooks"
REPORT = ROOT / "reports" / "mutation.md"

DEFAULT_TARGETS = ("kaze_policy/evaluate.py", "kaze_policy/analysis", "kaze_policy/sources", "kaze_policy/engine")

# The test files that judge each part of the package (a path prefix under kaze_policy/): mutmut's
# stats run goes through these once, then each mutant runs only those of them that reach it and
# are mapped to its module here (a module takes the files of every prefix of its path; the CLI
# tests of one module reach every other through a scan, and are not theirs).
# A surviving mutant runs every test that reaches its function, so the files are the ones that
# pin the module's behaviour cheaply: tests/test_fixtures.py (288 cases, each on both engines),
# tests/test_shipped_stack.py and the CLI contract files (test_scan_contract, test_flags,
# test_exit_codes, test_without_config: 190 s together) reach almost every function of
# evaluate.py, and with them one survivor cost over 3 minutes; they stay in `make test`.
YAML_TESTS = ("tests/test_yaml_kubectl_reading.py", "tests/test_yaml_bounds.py")
FILE_TESTS = ("tests/test_discovery.py", "tests/test_confinement.py", "tests/test_iac_bounds.py")
TESTS_BY_TARGET: dict[str, tuple[str, ...]] = {
    "kaze_policy/evaluate.py": ("tests/test_evaluate.py", "tests/test_fail_closed.py"),
    "kaze_policy/engine": ("tests/test_engine_units.py", "tests/test_engines.py"),
    "kaze_policy/analysis/netpol.py": ("tests/analysis/test_netpol.py", "tests/analysis/test_netpol_properties.py"),
    "kaze_policy/analysis/rbac.py": ("tests/analysis/test_rbac.py", "tests/analysis/test_rbac_oracle.py",
                                     "tests/analysis/test_rbac_bootstrap.py"),
    "kaze_policy/analysis/vault_acl.py": ("tests/analysis/test_vault_acl.py",
                                          "tests/analysis/test_vault_acl_openbao.py"),
    "kaze_policy/analysis/allowlist.py": ("tests/test_allowlist_abuse.py", "tests/test_growth_allowlist.py"),
    "kaze_policy/analysis/overlays.py": ("tests/test_sources.py", "tests/test_discovery.py", "tests/test_confinement.py"),
    # cluster.py: its pure parts in process; discovery, pages and a 403 on the real API server
    # (one for the whole run: shared_cluster below); a kubeconfig that is not one, through the CLI.
    "kaze_policy/sources/cluster.py": ("tests/cluster/test_cluster_units.py", "tests/cluster/test_cluster_read.py",
                                       "tests/cluster/test_cluster_source.py"),
    # sources/: every reader's bad input; then each module's own (the CLI files of discovery
    # reach every reader through a scan, for minutes, and pin only what finds and reads files)
    "kaze_policy/sources": ("tests/test_sources.py", "tests/test_bad_input.py"),
    "kaze_policy/sources/yaml_stream.py": YAML_TESTS,
    "kaze_policy/sources/go_yaml.py": YAML_TESTS,
    "kaze_policy/sources/kubernetes.py": ("tests/test_objects.py",),
    "kaze_policy/sources/openapi.py": ("tests/test_openapi.py", "tests/test_objects.py"),
    "kaze_policy/sources/sbom.py": ("tests/test_sbom.py", "tests/test_iac_bounds.py"),
    "kaze_policy/sources/discover.py": FILE_TESTS,
    "kaze_policy/sources/load.py": FILE_TESTS,
    "kaze_policy/sources/files.py": (*FILE_TESTS, "tests/test_sbom.py"),
    "kaze_policy/sources/vault_policy.py": ("tests/test_vault_policy_source.py",),
    "kaze_policy/sources/dockerfile.py": ("tests/test_dockerfile_source.py",),
    "kaze_policy/sources/terraform.py": ("tests/test_terraform_source.py",),
    "kaze_policy/sources/kustomize.py": ("tests/test_kustomize_source.py", "tests/test_confinement.py",
                                         "tests/test_discovery.py"),
    "kaze_policy/sources/cyclonedx_schema.py": ("tests/test_cyclonedx_schema.py",),
}

# A mutant counts as killed when a test failed or timed out with it (mutmut's statuses); one that
# survived, or that no selected test reaches, is a survivor.
KILLED = ("killed", "timeout", "caught by type check", "segfault")

# What the tests read relative to the checkout, linked (not copied) into mutmut's tree.
NOT_LINKED = {".git", ".mutation", ".venv", "kaze_policy", "tests", "pyproject.toml", "mutants", "reports",
              "__pycache__", ".hypothesis", ".pytest_cache"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help="files or folders under kaze_policy/")
    parser.add_argument("--workers", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--resume", action="store_true",
                        help="go on from the last run's results (same targets): run the mutants it did not reach, "
                             "then its survivors again")
    parser.add_argument("--mutants", nargs="+", metavar="NAME",
                        help="with --resume: run only these mutants again (mutmut's names, or patterns with *), "
                             "such as the survivors that new tests should kill")
    args = parser.parse_args(argv)
    if args.mutants and not args.resume:
        print("make mutation: --mutants goes with --resume (it re-runs mutants of the last run)", file=sys.stderr)
        return 2
    targets = [t.rstrip("/") for t in (args.targets or DEFAULT_TARGETS)]
    for target in targets:
        if not (ROOT / target).exists() or not target.startswith("kaze_policy/"):
            print(f"make mutation: {target} is not a file or folder under kaze_policy/", file=sys.stderr)
            return 2
    tests = tests_for(targets)
    resuming = args.resume and (MUTANTS / "kaze_policy").is_dir() and not lost_a_test_file(tests)
    if args.resume and not resuming:
        if args.mutants:
            print("make mutation: no run to resume in .mutation/ (or its tests lost a file)", file=sys.stderr)
            return 2
        print("make mutation: no run to resume in .mutation/ (or its tests lost a file), starting afresh",
              file=sys.stderr)
    # A survivor keeps its verdict in mutmut's results until it is named again: new tests may kill it.
    again = args.mutants or (survivors() if resuming else [])
    if resuming:
        forget_test_map()
    prepare(targets, tests, fresh=not resuming)
    started = time.monotonic()
    with shared_cluster(tests) as cluster_env:
        # The mutants never run first: a survivor runs every test that reaches it, and a sitting
        # that ends early should leave fewer mutants unchecked rather than re-check old survivors.
        for names in ([again] if args.mutants else [[]] + ([again] if again else [])):
            returncode = run_mutmut(args.workers, names, cluster_env)
            if returncode != 0:
                print(f"make mutation: mutmut exited with {returncode}", file=sys.stderr)
                return returncode
    scores = report(targets, time.monotonic() - started)
    for path, (killed, total) in sorted(scores.items()):
        print(f"{path}: {killed}/{total} killed ({100 * killed / total if total else 100:.1f} %)")
    print(f"survivors: {REPORT.relative_to(ROOT)}")
    return 0


def run_mutmut(workers: int, names: list[str], extra_env: dict[str, str]) -> int:
    """mutmut's run in .mutation/: the mutants `names`, or (none given) every mutant without a result."""
    env = {**os.environ, "PYTHONPATH": str(MUTANTS), "KAZE_MUTATION_HITS": str(WORK / "hits"),
           "KAZE_MUTATION_TESTS_BY_MODULE": str(WORK / "tests_by_module.json"), "PYTHONDONTWRITEBYTECODE": "1",
           **extra_env}
    return subprocess.run([sys.executable, "-c", "from mutmut.__main__ import cli; cli()", "run",
                           "--max-children", str(workers), *names], cwd=WORK, env=env).returncode


def statuses_by_file() -> dict[str, dict[str, str]]:
    """Each mutated file (its path in the package) with the status mutmut gave each of its mutants."""
    from mutmut.stats import status_by_exit_code
    statuses: dict[str, dict[str, str]] = {}
    for meta in sorted((MUTANTS / "kaze_policy").rglob("*.py.meta")):
        exit_codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        statuses[meta.relative_to(MUTANTS).as_posix()[:-len(".meta")]] = {
            name: status_by_exit_code[code] for name, code in exit_codes.items()}
    return statuses


def survivors() -> list[str]:
    """The mutants the last run left alive (survived, or reached by no test)."""
    return [name for statuses in statuses_by_file().values()
            for name, status in statuses.items() if status in ("survived", "no tests")]


def lost_a_test_file(tests: list[str]) -> bool:
    """Whether the last run selected a test file that `tests` does not (its verdicts may rest on it)."""
    selection_file = WORK / "selection.json"
    if not selection_file.is_file():
        return True
    return not set(json.loads(selection_file.read_text(encoding="utf-8"))) <= set(tests)


def forget_test_map() -> None:
    """Make mutmut map every selected test to the functions it reaches again, keeping the verdicts.

    mutmut maps only the tests it has not seen when its map is kept, by node id, and fails on the
    ids of parametrized cases that hold escapes (`[a: 1\\n]`); and it drops every verdict when
    the selected files change. Without its map it maps them all, and changes no verdict: an added
    test cannot revive a killed mutant, and the survivors are run again by name."""
    (MUTANTS / "mutmut-stats.json").unlink(missing_ok=True)


def tests_for(targets: list[str]) -> list[str]:
    """The test files of the targets (a file takes those of the folders that hold it and vice versa)."""
    found = _mapped_tests(targets)
    if not found:
        raise SystemExit(f"make mutation: no tests are mapped to {', '.join(targets)} (tools/mutation/run.py)")
    return found


def _mapped_tests(targets: list[str]) -> list[str]:
    found: dict[str, None] = {}
    for target in targets:
        for prefix, files in TESTS_BY_TARGET.items():
            if target.startswith(prefix) or prefix.startswith(target + "/"):
                found.update(dict.fromkeys(f for f in files if (ROOT / f).is_file()))
    return list(found)


def tests_by_module() -> dict[str, list[str]]:
    """Each module of the package, named as the hits plugin names a function's module (a path
    without `.py`; a package's __init__ by its folder, which takes the tests of all below it),
    with its test files."""
    package = ROOT / "kaze_policy"
    modules = [path.parent if path.name == "__init__.py" else path.with_suffix("") for path in package.rglob("*.py")]
    return {module.relative_to(ROOT).as_posix(): _mapped_tests([module.relative_to(ROOT).as_posix()
                                                                + ("" if module.is_dir() else ".py")])
            for module in sorted(modules)}


@contextmanager
def shared_cluster(tests: list[str]) -> Iterator[dict[str, str]]:
    """One API server for the whole run when tests of tests/cluster/ are selected: each mutant
    runs in a pytest session of its own, whose `live_cluster` fixture would otherwise start
    one (3-4 s) per mutant. The environment that names it; none without the binaries (the
    tests then skip, as in `make test`)."""
    binaries = [ROOT / ".tools" / "bin" / name for name in ("etcd", "kube-apiserver")]
    if not any(t.startswith("tests/cluster/") for t in tests) or not all(b.is_file() for b in binaries):
        yield {}
        return
    sys.path.insert(0, str(ROOT))
    from tests.cluster.apiserver import running_cluster, shared_cluster_env
    with running_cluster(*map(str, binaries)) as cluster:
        yield shared_cluster_env(cluster)


def prepare(targets: list[str], tests: list[str], fresh: bool = True) -> None:
    """.mutation/ (afresh, or kept with its results): mutmut's configuration and the files it does not copy.

    When resuming, mutmut itself keeps each mutant's verdict unless its function changed."""
    if fresh:
        shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "hits").mkdir(parents=True, exist_ok=True)
    # Writable by the subprocesses that a test runs as another user (tests/test_discovery.py).
    (WORK / "hits").chmod(0o1777)
    only = [t if t.endswith(".py") else f"{t}/*" for t in targets]
    lines = ["", "[tool.mutmut]", 'source_paths = ["kaze_policy"]', f"only_mutate = {json.dumps(only)}",
             f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
             # the plugin records the CLI subprocesses and runs the fastest tests first
             'pytest_add_cli_args = ["-p", "kaze_mutation_hits", "-p", "no:randomly"]',
             "use_git_change_detection = false",
             # a mutant that loops is stopped after 5 times its tests' time (mutmut: 15 times)
             "timeout_multiplier = 5.0", "timeout_constant = 5.0", ""]
    (WORK / "selection.json").write_text(json.dumps(tests), encoding="utf-8")
    # hooks/kaze_mutation_hits.py maps a test to a function only when its file is the module's
    (WORK / "tests_by_module.json").write_text(json.dumps(tests_by_module()), encoding="utf-8")
    # The project's own (tests read it, pytest takes its options) with mutmut's section.
    (WORK / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8") + "\n".join(lines),
                                         encoding="utf-8")
    MUTANTS.mkdir(exist_ok=True)
    _link(WORK / "kaze_policy", ROOT / "kaze_policy")
    _link(WORK / "tests", ROOT / "tests")
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            _link(MUTANTS / entry.name, entry)
    # Beside the package, where every subprocess finds them (some tests set PYTHONPATH to the checkout).
    for hook in HOOKS.glob("*.py"):
        shutil.copy2(hook, MUTANTS / hook.name)
    # mutmut copies the package's files, not its link to the catalog.
    (MUTANTS / "kaze_policy").mkdir(exist_ok=True)
    _link(MUTANTS / "kaze_policy" / "rego", ROOT / "rego")
    _drop_stale_copies()


def _link(link: Path, target: Path) -> None:
    if link.is_symlink():
        link.unlink()
    link.symlink_to(target)


def _drop_stale_copies() -> None:
    """Remove mutmut's copies of unmutated package files that changed since (mutmut copies them again).

    mutmut copies a file only when its copy is missing; it makes the mutants of a target file again
    when the source is newer, so only the files it does not mutate (those without a .meta) go stale."""
    copies = MUTANTS / "kaze_policy"
    for copy in [c for c in copies.rglob("*") if c.is_file() and not c.is_symlink()]:
        source = ROOT / copy.relative_to(MUTANTS)
        mutated = copy.with_name(copy.name + ".meta").exists() or copy.suffix == ".meta"
        if not mutated and (not source.is_file() or source.read_bytes() != copy.read_bytes()):
            copy.unlink()


def report(targets: list[str], seconds: float) -> dict[str, tuple[int, int]]:
    """Write the survivors (file, line, diff) to reports/mutation.md; the score of each file."""
    scores: dict[str, tuple[int, int]] = {}
    survivors: list[str] = []
    other: list[str] = []
    unrun: dict[str, int] = {}  # an interrupted run leaves mutants not checked
    for source, statuses in statuses_by_file().items():
        scores[source] = (sum(1 for s in statuses.values() if s in KILLED), len(statuses))
        unrun[source] = sum(1 for s in statuses.values() if s == "not checked")
        functions, def_lines = _functions(MUTANTS / source), _def_lines(source)
        for name, status in sorted(statuses.items(), key=lambda item: _order(item[0])):
            if status in ("survived", "no tests"):
                survivors.append(_described(source, name, status, functions, def_lines))
            elif status not in KILLED:
                other.append(f"- `{name}`: {status}")
    text = [f"# Surviving mutants ({', '.join(targets)})", "",
            f"Run of {seconds / 60:.1f} min; generated by `make mutation`, not committed.", "", "## Scores", ""]
    text += [f"- {path}: {k}/{t} killed ({100 * k / t if t else 100:.1f} %)"
             + (f", {unrun[path]} not run (the run was interrupted)" if unrun[path] else "")
             for path, (k, t) in sorted(scores.items())]
    text += ["", f"## Survivors ({len(survivors)})", "", *survivors]
    if other:
        text += ["", f"## Not run ({len(other)})", "", *other]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(text) + "\n", encoding="utf-8")
    return scores


def _order(name: str) -> tuple[str, int]:
    """Mutants by function, then by number."""
    base, _, number = name.rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else 0


def _described(source: str, name: str, status: str, functions: dict[str, str], def_lines: dict[str, int]) -> str:
    """The mutant `name` of `source`: its line and the diff of its function against the original."""
    mangled = name.rpartition(".")[2]
    base = re.sub(r"__mutmut_\d+$", "", mangled)
    original, mutant = functions.get(base + "__mutmut_orig", ""), functions.get(mangled, "")
    diff = list(difflib.unified_diff(original.splitlines(), mutant.replace(mangled, base + "__mutmut_orig").splitlines(),
                                     lineterm="", n=1))[2:]
    hunk = re.match(r"@@ -(\d+)", diff[0]) if diff else None
    start = def_lines.get(_readable(base))
    where = f"{source}:{start + int(hunk.group(1)) - 1}" if hunk and start else source
    shown = "\n".join(line for line in diff if not line.startswith("@@")).replace(base + "__mutmut_orig", _readable(base))
    return f"### {where} `{name}` ({status})\n\n```diff\n{shown}\n```\n"


def _functions(mutated: Path) -> dict[str, str]:
    """Every function of mutmut's mutated file (the original as `<mangled>__mutmut_orig`), by name."""
    text = mutated.read_text(encoding="utf-8")
    lines = text.splitlines()
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(text)):  # by lines: ast.get_source_segment splits the file each time
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            found[node.name] = "\n".join(lines[node.lineno - 1:node.end_lineno])
    return found


def _readable(mangled: str) -> str:
    """mutmut's `x_name` or `xǁClassǁname` as `name` or `Class.name`."""
    if mangled.startswith("xǁ"):
        return ".".join(mangled[2:].split("ǁ"))
    return mangled[2:]


def _def_lines(source: str) -> dict[str, int]:
    """The line of each function (`name`, `Class.name`) of the original file."""
    lines: dict[str, int] = {}
    for node in ast.parse((ROOT / source).read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines[node.name] = node.lineno
        elif isinstance(node, ast.ClassDef):
            lines.update({f"{node.name}.{f.name}": f.lineno for f in node.body
                          if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))})
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
