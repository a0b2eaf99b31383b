"""One self-contained HTML file an auditor opens offline and can print.

The summary first (controls by status, by family as a chart, by severity as a table), then
each family and each control: its status, why it matters, what was found where, how to fix
it, and the waivers that apply (who, why, until). No script, no font, no image, no link
leaves the file: the chart is inline SVG, the style inline CSS, with a print stylesheet.
Everything taken from the inputs (resource names, messages, file names, waiver reasons) is
escaped: a report must never run what a manifest holds.
"""

from __future__ import annotations

from html import escape

from kaze_policy.bdd.model import FAILED, SCENARIO_WORDS, FeatureResult, ScenarioResult, StepResult
from kaze_policy.catalog import Control
from kaze_policy.frameworks.view import FrameworkView
from kaze_policy.report.interface import Reporter
from kaze_policy.results import SEVERITY_RANK, STATUSES, ControlResult, ScanReport

FAMILY_NAMES = {"audit": "Audit logs", "duties": "Separation of duties", "egress": "Egress allowlists",
                "mtls": "mTLS everywhere", "portability": "Portability", "secrets": "Secrets and keys",
                "supply_chain": "Supply chain", "tenancy": "Tenant isolation"}
STEP_MARKS = {"passed": "&#10003;", "failed": "&#10007;", "skipped": "&#8211;"}
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#6a1b9a", "waived": "#ef6c00", "not_applicable": "#9e9e9e"}
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#212121}
h1{margin-bottom:.2rem}.meta{color:#555}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
.badge{display:inline-block;padding:0 .5rem;border-radius:.6rem;color:#fff;font-size:.85em;font-weight:600}
section.control{border-left:4px solid #ccc;padding:.2rem 0 .2rem 1rem;margin:1rem 0}
code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}.legend span{margin-right:1rem}
.scenario{background:#fafafa;border:1px solid #e0e0e0;padding:.1rem .8rem;margin:.5rem 0}
.scenario ol{list-style:none;padding-left:.5rem}.scenario pre{white-space:pre-wrap;margin:.2rem 0 .2rem 1.5rem;font-size:.85em}
li.passed .mark{color:#2e7d32}li.failed .mark{color:#c62828}li.skipped .mark{color:#9e9e9e}
li.failed{background:#fdecea}
@media print{body{margin:0;max-width:none;font-size:11pt}section.control{break-inside:avoid}
.badge{border:1px solid #000;color:#000!important;background:none!important}a{color:inherit}}
"""


def family_of(control: Control) -> str:
    """The family folder of the control's package (`data.kaze.tenancy.x` → tenancy)."""
    parts = control.package.split(".")
    return parts[2] if len(parts) > 3 else "other"


class HtmlReporter(Reporter):
    suffix = ".html"

    def render(self, report: ScanReport) -> str:
        families: dict[str, list[ControlResult]] = {}
        for result in report.results:
            families.setdefault(family_of(result.control), []).append(result)
        summary = report.summary()
        title = "kaze-policy compliance report" if report.features is None else "kaze-policy audit"
        parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
                 f"<title>{title}</title>", f"<style>{STYLE}</style></head><body>", f"<h1>{title}</h1>",
                 *_audit_lines(report),
                 f'<p class="meta">{len(report.results)} controls on {len(report.targets)} target(s): '
                 + ", ".join(f"{summary.get(s, 0)} {s.replace('_', ' ')}" for s in STATUSES)
                 + f" &middot; kaze-policy {escape(report.tool_version)}, engine {escape(report.engine)}</p>",
                 "<h2>Targets</h2><ul>"
                 + "".join(f"<li><code>{escape(str(t['name']))}</code> ({escape(str(t['kind']))}, "
                           f"{t['resources']} resources)</li>" for t in report.targets) + "</ul>",
                 _verdict(report), "<h2>By family</h2>", _chart(families), "<h2>By severity</h2>",
                 _severity_table(report)]
        parts += [_framework(view) for view in report.framework_views]
        features = {tag: f for f in report.features or [] for tag in f.tags}
        scenarios = {c: s for f in report.features or [] for s in f.scenarios for c in s.controls}
        for family, results in sorted(families.items()):
            parts.append(_family_heading(family, features.get(family)))
            parts += [_control(result, scenarios.get(result.control.id)) for result in results]
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"


def _audit_lines(report: ScanReport) -> list[str]:
    """An audit's when, and its scenarios by outcome (a scan has neither)."""
    if report.features is None:
        return []
    scenarios = [s for f in report.features for s in f.scenarios]
    counts = {status: sum(1 for s in scenarios if s.status == status) for status in STATUSES}
    said = ", ".join(f"{n} {SCENARIO_WORDS[status]}" for status, n in counts.items() if n)
    when = f"Audited on {escape(report.taken)} (UTC). " if report.taken else ""
    return [f'<p class="meta">{when}{len(report.features)} features, {len(scenarios)} scenarios: {said}.</p>']


def _verdict(report: ScanReport) -> str:
    """What needs a person, first: the controls that failed or could not be evaluated, each a
    link to its section (looking at a failing report, they were screens below the summary)."""
    needing = [r for r in report.results if r.status in ("fail", "error")]
    if not needing:
        return '<p><strong>No control failed, and every control that applies was evaluated.</strong></p>'
    needing.sort(key=lambda r: (r.status != "fail", -SEVERITY_RANK[r.control.severity], r.control.id))
    items = "".join(f'<li>{_badge(r.status)} <a href="#{escape(r.control.id)}">{escape(r.control.id)}</a> '
                    f"({escape(r.control.severity)}): {escape(r.control.title)} "
                    f"&mdash; {len(r.findings)} finding(s)</li>" for r in needing)
    return f"<h2>Needs attention ({len(needing)})</h2><ul>{items}</ul>"


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{COLOURS[status]}">{status.replace("_", " ")}</span>'


def _chart(families: dict[str, list[ControlResult]]) -> str:
    """Stacked horizontal bars, one per family, a segment per status (inline SVG)."""
    row, width, label = 26, 520, 190
    most = max((len(results) for results in families.values()), default=1)
    bars = []
    for i, (family, results) in enumerate(sorted(families.items())):
        y, x = i * row, label
        bars.append(f'<text x="0" y="{y + 17}" font-size="13">{escape(FAMILY_NAMES.get(family, family))}</text>')
        for status in STATUSES:
            count = sum(1 for r in results if r.status == status)
            if count:
                w = count * width / most
                bars.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[status]}">'
                            f"<title>{count} {status.replace('_', ' ')}</title></rect>")
                bars.append(f'<text x="{x + 4:.1f}" y="{y + 17}" font-size="11" fill="#fff">{count}</text>')
                x += w
    height = row * len(families)
    legend = "".join(f'<span style="color:{COLOURS[s]}">&#9632; {s.replace("_", " ")}</span>' for s in STATUSES)
    return (f'<svg role="img" aria-label="controls by family and status" width="{label + width + 10}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">' + "".join(bars)
            + f'</svg><p class="legend">{legend}</p>')


def _severity_table(report: ScanReport) -> str:
    head = "<tr><th>severity</th>" + "".join(f"<th>{s.replace('_', ' ')}</th>" for s in STATUSES) + "</tr>"
    rows = []
    for severity in sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s]):
        counts = [sum(1 for r in report.results if r.control.severity == severity and r.status == s) for s in STATUSES]
        rows.append(f"<tr><td>{severity}</td>" + "".join(f"<td>{c}</td>" for c in counts) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _framework(view: FrameworkView) -> str:
    """The results under each framework control the catalog cites, then what it does not cover."""
    fw = view.framework
    rows = "".join(f"<tr><td><code>{escape(row.control.id)}</code></td><td>{escape(row.control.group)}</td>"
                   f"<td>{_badge(row.status)}</td><td>"
                   + ", ".join(f'<a href="#{escape(r.control.id)}">{escape(r.control.id)}</a> ({escape(r.status)})'
                               for _, r in row.evidence) + "</td></tr>" for row in view.rows)
    groups: dict[str, list[str]] = {}
    for control in view.uncovered:
        groups.setdefault(control.group, []).append(control.id)
    left = "".join(f"<li>{escape(group)}: {escape(', '.join(ids))}</li>" for group, ids in groups.items())
    return (f"<h2>{escape(fw.title)} ({escape(fw.version)})</h2>"
            f"<p>{len(view.rows)} of its controls are evidenced by the catalog; "
            f"{len(view.uncovered)} are not covered by any Kaze control and need other evidence.</p>"
            f'<table><tr><th>control</th><th>group</th><th>status</th><th>Kaze controls</th></tr>{rows}</table>'
            f"<p>Not covered by the catalog:</p><ul>{left}</ul>")


def _family_heading(family: str, feature: FeatureResult | None) -> str:
    """The family's heading; in an audit, its feature's name and what it protects."""
    if feature is None:
        return f"<h2>{escape(FAMILY_NAMES.get(family, family))}</h2>"
    return (f"<h2>Feature: {escape(feature.name)}</h2><p class=\"meta\">{escape(feature.description)} "
            f"<small>(<code>{escape(feature.file)}</code>)</small></p>")


def _scenario(scenario: ScenarioResult, findings_below: bool) -> str:
    """The scenario as the auditor reads it in the feature, each step with its outcome and
    what it found (a failure's findings are listed in full just below, not twice)."""
    def said(step: StepResult) -> str:
        if step.status == FAILED and findings_below and scenario.status == "fail":
            return "<pre>The findings below are its evidence.</pre>"
        return f"<pre>{escape(step.message)}</pre>" if step.message else ""

    steps = "".join(f'<li class="{escape(s.status)}"><span class="mark">{STEP_MARKS.get(s.status, "?")}</span> '
                    f"<strong>{escape(s.keyword)}</strong> {escape(s.text)} <small>({escape(s.status)})</small>"
                    + said(s) + "</li>" for s in scenario.steps)
    return (f'<div class="scenario"><p><strong>Scenario:</strong> {escape(scenario.name)} '
            f"<small>{escape(' '.join('@' + t for t in scenario.tags))}</small></p><ol>{steps}</ol></div>")


def _control(result: ControlResult, scenario: ScenarioResult | None = None) -> str:
    control = result.control
    parts = [f'<section class="control" id="{escape(control.id)}" style="border-color:{COLOURS[result.status]}">',
             f"<h3>{escape(control.id)} {_badge(result.status)} <small>{escape(control.severity)}</small></h3>",
             f"<p><strong>{escape(control.title)}</strong></p>"]
    if scenario is not None:
        parts.append(_scenario(scenario, bool(result.findings)))
    if control.description:
        parts.append(f"<p>{escape(control.description)}</p>")
    if result.reason:
        parts.append(f"<p><em>{escape(result.reason)}</em></p>")
    if result.findings:
        parts.append("<p>Evidence:</p><ul>" + "".join(
            f"<li><code>{escape(f.where)}</code> {escape(f.message)}</li>" for f in result.findings) + "</ul>")
    if result.status == "fail" and control.remediation:
        parts.append(f"<p><strong>Remediation:</strong> {escape(control.remediation)}</p>")
    if result.waived_findings:
        parts.append("<p>Waivers:</p><ul>" + "".join(
            f"<li><code>{escape(f.where)}</code> waived by {escape(str(f.waiver['by']))} until "
            f"{escape(str(f.waiver['until']))}: {escape(str(f.waiver['reason']))}</li>"
            for f in result.waived_findings if f.waiver) + "</ul>")
    frameworks = "; ".join(f"{escape(name)}: {escape(', '.join(map(str, ids)))}"
                           for name, ids in sorted(control.frameworks.items()))
    if frameworks:
        parts.append(f"<p><small>Frameworks: {frameworks}</small></p>")
    parts.append("</section>")
    return "\n".join(parts)
