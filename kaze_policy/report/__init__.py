"""Reporters: one module per format, all rendered from the same ScanReport."""

from __future__ import annotations

from kaze_policy.report.interface import Reporter


def reporter_for(fmt: str) -> Reporter:
    if fmt == "json":
        from kaze_policy.report.json import JsonReporter
        return JsonReporter()
    if fmt == "text":
        from kaze_policy.report.text import TextReporter
        return TextReporter()
    if fmt == "sarif":
        from kaze_policy.report.sarif import SarifReporter
        return SarifReporter()
    if fmt == "junit":
        from kaze_policy.report.junit import JunitReporter
        return JunitReporter()
    if fmt == "html":
        from kaze_policy.report.html import HtmlReporter
        return HtmlReporter()
    if fmt == "markdown":
        from kaze_policy.report.markdown import MarkdownReporter
        return MarkdownReporter()
    if fmt == "oscal":
        from kaze_policy.report.oscal import OscalReporter
        return OscalReporter()
    if fmt == "policyreport":
        from kaze_policy.report.policyreport import PolicyReportReporter
        return PolicyReportReporter()
    if fmt == "github":
        from kaze_policy.report.github import GithubReporter
        return GithubReporter()
    if fmt == "gitlab":
        from kaze_policy.report.gitlab import GitlabReporter
        return GitlabReporter()
    if fmt == "cucumber":
        from kaze_policy.report.cucumber import CucumberReporter
        return CucumberReporter()
    raise ValueError(f"unknown format {fmt!r}")


FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "oscal", "policyreport", "github", "gitlab")
