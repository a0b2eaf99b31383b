"""A real scan report for the reporters' tests: a failing fixture case, its messages optionally
replaced by hostile text (what a manifest could make a message say)."""

from __future__ import annotations

from kaze_policy.catalog import load_catalog
from kaze_policy.results import ScanReport
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES

FAILING_CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"


def failing_report(message: str | None = None) -> ScanReport:
    report = run_scan(ScanOptions(paths=[str(FAILING_CASE)], workers=1), load_catalog())
    if message is not None:
        for result in report.results:
            for target in result.targets:
                for finding in target.findings:
                    finding.message = message
    return report
