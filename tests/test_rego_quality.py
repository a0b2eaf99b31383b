"""The Rego itself: `opa check --strict`, `opa fmt`, `opa test`, and our runner on regorus."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from typing import Any

from kaze_policy.catalog import DEFAULT_POLICY_DIR
from kaze_policy.regotest import discover, run_rego_tests
from tests.conftest import ROOT, require_tool

REGO = DEFAULT_POLICY_DIR


def opa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("opa"), *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_opa_check_strict_is_clean() -> None:
    result = opa("check", "--strict", str(REGO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_opa_fmt_is_clean() -> None:
    result = opa("fmt", "--list", str(REGO))
    assert result.returncode == 0 and result.stdout.strip() == "", f"not opa-fmt clean:\n{result.stdout}"


def test_opa_test_passes() -> None:
    result = opa("test", str(REGO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_control_has_rego_tests() -> None:
    from kaze_policy.catalog import load_catalog
    tested = {package.removesuffix("_test") for _, package, _ in discover(REGO)}
    untested = [c.id for c in load_catalog().controls if c.package not in tested]
    assert untested == []


def test_rego_tests_pass_on_regorus() -> None:
    """The same tests on the embedded engine (regorus), through our runner. On OPA they run
    with `opa test` above: asking an OPA server for the 600-odd tests one query at a time
    proved nothing more and took 60-100 s of `make test`."""
    results = run_rego_tests(REGO, "embedded")
    assert results, "no Rego tests found"
    failures = [f"{r.package}.{r.name}: {r.outcome} {r.detail}" for r in results if r.outcome != "pass"]
    assert failures == []


def test_rego_test_runner_reports_a_failing_test(tmp_path) -> None:
    (tmp_path / "x_test.rego").write_text("package x_test\n\nimport rego.v1\n\ntest_wrong if {\n\t1 == 2\n}\n\ntest_right if {\n\t1 == 1\n}\n")
    outcomes = {r.name: r.outcome for r in run_rego_tests(tmp_path, "embedded")}
    assert outcomes == {"test_wrong": "fail", "test_right": "pass"}


def test_rego_test_runner_reports_each_case_of_a_table_test(tmp_path) -> None:
    """A table test (`test_x[name]`) is reported case by case, as `opa test` does, and a case
    that does not hold, absent from the rule's value, is a failure named by its case."""
    (tmp_path / "x_test.rego").write_text(
        'package x_test\n\nimport rego.v1\n\ncases := {"same": [1, 1], "other": [1, 2]}\n\n'
        "test_equal[name] if {\n\tsome name, [a, b] in cases\n\ta == b\n}\n")
    outcomes = {r.name: r.outcome for r in run_rego_tests(tmp_path, "embedded")}
    assert outcomes == {"test_equal[same]": "pass", "test_equal[other]": "fail"}
    assert "FAIL" in opa("test", str(tmp_path)).stdout  # and OPA agrees that it fails


def test_regal_lint_is_clean() -> None:
    """Regal (the OPA project's linter) under .regal/config.yaml, which says why each rule it
    relaxes is relaxed."""
    result = subprocess.run([require_tool("regal"), "lint", "--format", "compact", "rego"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, f"regal lint rego:\n{result.stdout}{result.stderr}"


def _package(module: dict) -> str:
    return ".".join(term["value"] for term in module["package"]["path"][1:])


def _normalised(node: Any, local_names: dict[str, str], kept: frozenset[str] = frozenset()) -> Any:
    """An AST node without locations, its local variables renamed by order of appearance: two
    definitions that differ only in their variables' names compare equal. What a reference
    starts with (a function, a rule, an import, data), and the package's rules and imports
    (`kept`), keep their names."""
    if isinstance(node, list):
        return [_normalised(item, local_names, kept) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "ref" and node["value"] and node["value"][0].get("type") == "var":
        head, *rest = node["value"]
        return {"type": "ref", "value": [head, *_normalised(rest, local_names, kept)]}
    if node.get("type") == "var" and node["value"] not in kept:
        return {"type": "var", "value": local_names.setdefault(node["value"], f"v{len(local_names)}")}
    return {key: _normalised(value, local_names, kept) for key, value in node.items()
            if key not in ("location", "index", "annotations")}


# What every control defines by contract (docs/rego.md): the same words in two packages are
# two controls' verdicts, not one helper written twice.
_CONTRACT_RULES = {"violation", "not_applicable", "errors", "undecided", "decision"}
# Below this many characters of normalised AST a definition is an alias or a constant
# (`_inv := data.inventory`), not a helper worth a home of its own.
_SUBSTANCE = 300


def _definitions(module: dict) -> dict[str, str]:
    """Each rule or function of a module (all its clauses) → a digest of its normalised text,
    for those of some substance."""
    clauses: dict[str, list[dict]] = {}
    for rule in module.get("rules", []):
        clauses.setdefault(json.dumps(rule["head"]["ref"]), []).append(rule)
    kept = frozenset([json.loads(name)[0]["value"] for name in clauses]
                     + [imp["path"]["value"][-1]["value"] if len(imp["path"]["value"]) > 1 else ""
                        for imp in module.get("imports", [])]
                     + [imp["alias"] for imp in module.get("imports", []) if imp.get("alias")])
    found = {}
    for name, rules in clauses.items():
        if json.loads(name)[0]["value"] in _CONTRACT_RULES:
            continue
        local_names: dict[str, str] = {}
        shapes = json.dumps([_normalised({"head": {k: v for k, v in rule["head"].items() if k not in ("name", "ref")},
                                          "body": rule.get("body"), "default": rule.get("default", False)},
                                         local_names, kept) for rule in rules], sort_keys=True)
        if len(shapes) >= _SUBSTANCE:
            found[name] = hashlib.sha256(shapes.encode()).hexdigest()
    return found


def test_no_helper_is_defined_twice() -> None:
    """One home per helper: no rule or function of the catalog has the same definition (up to
    the names of its variables) in two packages; a shared one lives in rego/lib/."""
    homes: dict[str, list[str]] = {}
    for path in sorted(p for p in REGO.rglob("*.rego") if not p.name.endswith("_test.rego")):
        module = json.loads(opa("parse", "--format", "json", str(path)).stdout)
        for name, digest in _definitions(module).items():
            homes.setdefault(digest, []).append(f"{_package(module)}.{json.loads(name)[0]['value']}")
    twice = [sorted(names) for names in homes.values() if len({n.rpartition('.')[0] for n in names}) > 1]
    assert twice == []


_LIBRARY_RULE = re.compile(r"^(?:default\s+)?([a-z]\w*)\s*(?:\(|:=|contains\b|if\b|=)", re.M)


def test_every_library_function_has_a_test() -> None:
    """Every public rule and function of rego/lib/ is called by the library's own tests
    (through the name, or the alias, its test file imports it by)."""
    untested = []
    for path in sorted((REGO / "lib").glob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        tests = path.with_name(f"{path.stem}_test.rego")
        text = tests.read_text(encoding="utf-8") if tests.exists() else ""
        imported = re.search(rf"^import data\.kaze\.lib\.{path.stem}(?:\s+as\s+(\w+))?\s*$", text, re.M)
        alias = (imported.group(1) or path.stem) if imported else path.stem
        for name in dict.fromkeys(_LIBRARY_RULE.findall(path.read_text(encoding="utf-8"))):
            if name not in ("package", "import") and not re.search(rf"\b{alias}\.{name}\b", text):
                untested.append(f"{path.relative_to(REGO)}: {name}")
    assert untested == []
