"""`make mutation`'s configuration (tools/mutation/run.py) names what exists; no mutant is run here."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

from tests.conftest import ROOT

RUNNER = ROOT / "tools" / "mutation" / "run.py"


def runner():
    spec = importlib.util.spec_from_file_location("mutation_run", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_target_and_test_file_the_mutation_run_names_exists() -> None:
    run = runner()
    named = [*run.DEFAULT_TARGETS, *run.TESTS_BY_TARGET]
    named += [f for files in run.TESTS_BY_TARGET.values() for f in files]
    assert [p for p in named if not (ROOT / p).exists()] == []
    assert sorted(p.name for p in run.HOOKS.glob("*.py")) == ["kaze_mutation_hits.py", "sitecustomize.py"]


def test_every_module_of_the_default_targets_has_tests_to_run_its_mutants() -> None:
    run = runner()
    modules = [p.relative_to(ROOT).as_posix() for target in run.DEFAULT_TARGETS
               for p in ([ROOT / target] if target.endswith(".py") else (ROOT / target).rglob("*.py"))
               if p.name != "__init__.py"]
    assert [m for m in modules if not run.tests_for([m])] == []


def test_the_make_target_runs_the_mutation_runner() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^mutation:.*\n\t\$\(PY\) tools/mutation/run\.py ", makefile, re.M)
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".mutation/" in ignored and "reports/" in ignored


def test_an_unknown_target_is_refused(capsys) -> None:
    assert runner().main(["kaze_policy/nowhere.py"]) == 2
    assert "kaze_policy/nowhere.py is not a file or folder under kaze_policy/" in capsys.readouterr().err


def test_a_resumed_run_names_the_last_runs_survivors_again(tmp_path) -> None:
    run = runner()
    run.MUTANTS = tmp_path
    meta = tmp_path / "kaze_policy" / "analysis" / "netpol.py.meta"
    meta.parent.mkdir(parents=True)
    # mutmut's exit codes: 0 survived, 1 killed, 33 reached by no test, None not run yet
    meta.write_text('{"exit_code_by_key": {"a__mutmut_1": 0, "a__mutmut_2": 1, "a__mutmut_3": 33,'
                    ' "a__mutmut_4": null}}', encoding="utf-8")
    assert run.survivors() == ["a__mutmut_1", "a__mutmut_3"]


def test_a_resumed_run_drops_stale_copies_of_the_files_it_does_not_mutate(tmp_path) -> None:
    run = runner()
    run.ROOT, run.MUTANTS = tmp_path / "checkout", tmp_path / "mutants"
    for tree, text in ((run.ROOT, "new"), (run.MUTANTS, "old")):
        (tree / "kaze_policy").mkdir(parents=True)
        for name in ("cli.py", "same.py", "netpol.py"):
            (tree / "kaze_policy" / name).write_text("same" if name == "same.py" else text, encoding="utf-8")
    (run.MUTANTS / "kaze_policy" / "netpol.py.meta").write_text("{}", encoding="utf-8")
    run._drop_stale_copies()
    left = sorted(p.name for p in (run.MUTANTS / "kaze_policy").iterdir())
    # cli.py changed: mutmut copies it again; netpol.py is mutmut's own (it remakes it when the source is newer)
    assert left == ["netpol.py", "netpol.py.meta", "same.py"]


def test_a_resumed_run_maps_its_tests_again_and_starts_afresh_when_a_test_file_was_dropped(tmp_path) -> None:
    run = runner()
    run.WORK, run.MUTANTS = tmp_path, tmp_path / "mutants"
    run.MUTANTS.mkdir()
    (tmp_path / "selection.json").write_text(json.dumps(["tests/a.py", "tests/b.py"]), encoding="utf-8")
    assert not run.lost_a_test_file(["tests/b.py", "tests/a.py", "tests/c.py"])
    assert run.lost_a_test_file(["tests/a.py"])
    (tmp_path / "selection.json").unlink()
    assert run.lost_a_test_file(["tests/a.py"])  # a run before the selection was recorded
    (run.MUTANTS / "mutmut-stats.json").write_text("{}", encoding="utf-8")
    (run.MUTANTS / "x.py.meta").write_text("{}", encoding="utf-8")
    run.forget_test_map()
    # mutmut then maps every selected test again, and keeps the verdicts of the .meta files
    assert sorted(p.name for p in run.MUTANTS.iterdir()) == ["x.py.meta"]


def test_a_mutants_tests_start_with_the_packages_function_caches_empty(monkeypatch) -> None:
    import functools
    import sys
    import types

    spec = importlib.util.spec_from_file_location("kaze_mutation_hits", RUNNER.parent / "hooks" / "kaze_mutation_hits.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    cached = functools.lru_cache(maxsize=None)(lambda x: x)
    module = types.ModuleType("kaze_policy._cached_for_the_test")
    module.cached = cached
    monkeypatch.setitem(sys.modules, module.__name__, module)
    cached(1)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "kaze_policy.x__f__mutmut_1")
    monkeypatch.setattr(importlib.import_module("mutmut.state"), "state",
                        lambda: types.SimpleNamespace(duration_by_test={}))
    hooks.pytest_collection_modifyitems([])
    assert cached.cache_info().currsize == 0


def test_mutants_to_run_again_need_a_run_to_resume(tmp_path, capsys) -> None:
    run = runner()
    assert run.main(["kaze_policy/evaluate.py", "--mutants", "x__mutmut_1"]) == 2
    assert "--mutants goes with --resume" in capsys.readouterr().err
    run.MUTANTS = tmp_path / "none"  # no run left in .mutation/
    assert run.main(["--resume", "kaze_policy/evaluate.py", "--mutants", "x__mutmut_1"]) == 2
    assert "no run to resume" in capsys.readouterr().err


def test_a_test_reaches_a_function_for_mutmut_only_when_mapped_to_its_module(tmp_path, monkeypatch) -> None:
    """A CLI test of overlays.py reaches netpol.py through the scan: not one of netpol's tests."""
    run = runner()
    mapping = tmp_path / "tests_by_module.json"
    mapping.write_text(json.dumps(run.tests_by_module()), encoding="utf-8")
    monkeypatch.setenv("KAZE_MUTATION_TESTS_BY_MODULE", str(mapping))
    spec = importlib.util.spec_from_file_location("hits_plugin", run.HOOKS / "kaze_mutation_hits.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    netpol = plugin._module_of("kaze_policy.analysis.netpol.xǁ_Modelǁgrants")
    assert netpol == "kaze_policy/analysis/netpol"
    assert plugin._mapped(netpol, "tests/analysis/test_netpol.py")
    assert not plugin._mapped(netpol, "tests/test_discovery.py")
    assert plugin._mapped("kaze_policy/analysis/overlays", "tests/test_discovery.py")
    # a module under a mapped folder takes the folder's files; a package's __init__ those below it
    assert plugin._mapped("kaze_policy/sources/go_yaml", "tests/test_sources.py")
    assert plugin._mapped("kaze_policy/analysis", "tests/analysis/test_rbac.py")
    assert not plugin._mapped("kaze_policy/sources/go_yaml", "tests/test_kustomize_source.py")
