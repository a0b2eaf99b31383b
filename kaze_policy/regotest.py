"""`kaze-policy test`: the Rego unit tests, run on either engine, as `opa test` runs them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kaze_policy.catalog import policy_files, test_files
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import UNDEFINED
from kaze_policy.errors import EngineError

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)


@dataclass(frozen=True)
class RegoTestResult:
    file: str
    package: str
    name: str
    outcome: str  # pass | fail | error
    detail: str = ""


def discover(policy_dir: Path) -> list[tuple[Path, str, str]]:
    found = []
    for path in test_files(policy_dir):
        text = path.read_text(encoding="utf-8")
        package = _PACKAGE.search(text)
        if not package:
            continue
        for name in dict.fromkeys(_TEST_RULE.findall(text)):
            found.append((path, "data." + package.group(1), name))
    return found


def run_rego_tests(policy_dir: Path, engine_name: str, opa_url: str | None = None) -> list[RegoTestResult]:
    tests = discover(policy_dir)
    with create_engine(engine_name, opa_url) as engine:
        engine.load_policies(policy_files(policy_dir) + test_files(policy_dir))
        engine.set_data({})
        results = []
        for path, package, name in tests:
            try:
                value = engine.query(f"{package}.{name}")
            except EngineError as err:
                results.append(RegoTestResult(str(path), package, name, "error", str(err)))
                continue
            outcome = "pass" if value is True else "fail"
            detail = "" if value is True else ("undefined" if value is UNDEFINED else f"= {value!r}")
            results.append(RegoTestResult(str(path), package, name, outcome, detail))
    return results
