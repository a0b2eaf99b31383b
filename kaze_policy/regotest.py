"""`kaze-policy test`: the Rego unit tests, run on either engine, as `opa test` runs them."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kaze_policy.catalog import PACKAGE_LINE, policy_files, test_files
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import UNDEFINED, Engine
from kaze_policy.errors import EngineError

_TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)
_IMPORT = re.compile(r"^import\s.*$", re.M)
# A table test, as `opa test` reports it case by case: `test_x[name] if {` whose body begins
# with the statement that binds name (`some name, [a, b] in cases`).
_TABLE_TEST = re.compile(r"^(test_\w+)\[(\w+)\]\s+if\s*\{\n", re.M)
_CASES_PREFIX = "kaze_cases_of_"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')  # a bracket inside one does not count


@dataclass(frozen=True)
class RegoTestResult:
    file: str
    package: str
    name: str
    outcome: str  # pass | fail | error
    detail: str = ""


@dataclass(frozen=True)
class TableTest:
    """A test rule with a variable in its head: one case per value of the variable."""
    package: str
    name: str
    cases_module: str  # the module that lists the cases: the test's first statement alone


def discover(policy_dir: Path) -> list[tuple[Path, str, str]]:
    found = []
    for path in test_files(policy_dir):
        text = path.read_text(encoding="utf-8")
        package = PACKAGE_LINE.search(text)
        if not package:
            continue
        for name in dict.fromkeys(_TEST_RULE.findall(text)):
            found.append((path, "data." + package.group(1), name))
    return found


def table_tests(path: Path) -> dict[str, TableTest]:
    """The table tests of a file. A passing case is a key of the test's value; a failing one is
    absent, so the cases expected are found apart: a module of the same package and imports
    whose rule holds the test's first statement alone, the one that binds the case's name."""
    text = path.read_text(encoding="utf-8")
    package = PACKAGE_LINE.search(text)
    if not package:
        return {}
    imports = "\n".join(_IMPORT.findall(text))
    found = {}
    for match in _TABLE_TEST.finditer(text):
        name, variable = match.group(1), match.group(2)
        statement = _first_statement(text, match.end())
        module = (f"package {package.group(1)}\n\n{imports}\n\n"
                  f"{_CASES_PREFIX}{name} contains {variable} if {{\n{statement}\n}}\n")
        found[name] = TableTest("data." + package.group(1), name, module)
    return found


def _first_statement(text: str, start: int) -> str:
    """The first statement of a body from `start`: its lines until every bracket is closed."""
    depth, end = 0, start
    for line in text[start:].splitlines(keepends=True):
        code = _STRING.sub("", line)
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        end += len(line)
        if depth <= 0:
            break
    return text[start:end].rstrip()


def run_rego_tests(policy_dir: Path, engine_name: str, opa_url: str | None = None) -> list[RegoTestResult]:
    tests = discover(policy_dir)
    tables = {(t.package, t.name): t for path in test_files(policy_dir) for t in table_tests(path).values()}
    with tempfile.TemporaryDirectory(prefix="kaze-rego-cases-") as scratch, create_engine(engine_name, opa_url) as engine:
        case_files = []
        for n, table in enumerate(tables.values()):
            case_files.append(Path(scratch) / f"cases_{n}_test.rego")
            case_files[-1].write_text(table.cases_module, encoding="utf-8")
        engine.load_policies(policy_files(policy_dir) + test_files(policy_dir) + case_files)
        engine.set_data({})
        results = []
        for path, package, name in tests:
            table = tables.get((package, name))
            try:
                if table:
                    results += _run_table(engine, path, table)
                    continue
                value = engine.query(f"{package}.{name}")
            except EngineError as err:
                results.append(RegoTestResult(str(path), package, name, "error", str(err)))
                continue
            outcome = "pass" if value is True else "fail"
            detail = "" if value is True else ("undefined" if value is UNDEFINED else f"= {value!r}")
            results.append(RegoTestResult(str(path), package, name, outcome, detail))
    return results


def _run_table(engine: Engine, path: Path, table: TableTest) -> list[RegoTestResult]:
    """One result per case, named `test_x[case]` as `opa test` names them; no case is a failure."""
    cases = engine.query(f"{table.package}.{_CASES_PREFIX}{table.name}")
    value = engine.query(f"{table.package}.{table.name}")
    passed = value if isinstance(value, dict) else {}
    if not isinstance(cases, list) or not cases:
        return [RegoTestResult(str(path), table.package, table.name, "fail",
                               "a table test without cases (its first statement binds none)")]
    results = []
    for case in sorted(cases, key=str):
        ok = passed.get(case) is True if isinstance(case, str) else False
        results.append(RegoTestResult(str(path), table.package, f"{table.name}[{case}]", "pass" if ok else "fail",
                                      "" if ok else "the case does not hold"))
    return results
