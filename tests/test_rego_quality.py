"""The Rego itself: `opa check --strict`, `opa fmt`, `opa test`, and our runner on regorus."""

from __future__ import annotations

import subprocess

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

