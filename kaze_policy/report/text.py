"""A Rich table for a person at a terminal, failures listed under it."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ScanReport
from kaze_policy.sources.files import describe_skipped

_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "waived": "yellow",
          "not_applicable": "dim"}


class TextReporter(Reporter):
    suffix = ".txt"

    def __init__(self, color: bool = False, width: int = 120) -> None:
        self.color = color
        self.width = width

    def render(self, report: ScanReport) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=self.color, no_color=not self.color,
                          width=self.width, highlight=False)
        table = Table(title="kaze-policy scan", show_lines=False)
        for column in ("Control", "Severity", "Status", "Findings", "Title"):
            table.add_column(column, overflow="fold")
        for result in report.results:
            status = result.status
            table.add_row(result.control.id, result.control.severity,
                          f"[{_STYLE[status]}]{status}[/]", str(len(result.findings)), result.control.title)
        console.print(table)
        for result in report.results:
            if result.status in ("fail", "error"):
                console.print(f"\n[bold]{result.control.id}[/] {result.control.title} ([{_STYLE[result.status]}]{result.status}[/])")
                if result.status == "error":
                    console.print(f"  could not evaluate: {result.reason}", markup=False)
                for finding in result.findings:
                    res = finding.resource
                    where = finding.where
                    targets = ", ".join(finding.targets or [finding.target])
                    console.print(f"  - {res.get('id')} ({where}) [{targets}]", markup=False)
                    console.print(f"    {finding.message}", markup=False)
        summary = report.summary()
        console.print("\n" + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in summary.items()))
        if report.skipped:
            console.print(f"{len(report.skipped)} skipped: {describe_skipped(report.skipped)}", markup=False,
                          soft_wrap=True)
        waivers = report.waiver_line()
        if waivers:
            console.print(waivers, markup=False, soft_wrap=True)
        unconfigured = report.unconfigured_line()
        if unconfigured:
            console.print(unconfigured, markup=False, soft_wrap=True)
        return buffer.getvalue()
