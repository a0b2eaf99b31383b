"""JUnit XML: one test case per control and target, failures and errors as CI tools expect."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ScanReport


class JunitReporter(Reporter):
    suffix = ".xml"

    def render(self, report: ScanReport) -> str:
        suites = ET.Element("testsuites", name="kaze-policy")
        by_target: dict[str, list] = {}
        for result in report.results:
            for target in result.targets:
                by_target.setdefault(target.target, []).append((result.control, target))
        for target_name, cases in by_target.items():
            suite = ET.SubElement(suites, "testsuite", name=target_name)
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for control, target in cases:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", classname=control.id, name=control.title)
                if target.status == "fail":
                    counts["failures"] += 1
                    lines = [_line(f) for f in target.findings if not f.waiver]
                    failure = ET.SubElement(case, "failure", type=control.severity,
                                            message=f"{len(lines)} finding(s)")
                    failure.text = "\n".join(lines)
                elif target.status == "error":
                    counts["errors"] += 1
                    ET.SubElement(case, "error", type="evaluation", message=target.reason)
                elif target.status in ("not_applicable", "waived"):
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=f"{target.status}: {target.reason}")
                waived = [f for f in target.findings if f.waiver]
                if waived:  # waived, not gone: listed beside the verdict
                    ET.SubElement(case, "system-out").text = "\n".join(
                        f"waived: {_line(f)} (by {f.waiver['by']} until {f.waiver['until']}: {f.waiver['reason']})"
                        for f in waived)
            for key, value in counts.items():
                suite.set(key, str(value))
        ET.indent(suites)
        return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _line(finding: Any) -> str:
    return f"{finding.resource.get('id')} ({finding.where}): {finding.message}"
