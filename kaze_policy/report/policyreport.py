"""The Kubernetes Policy Report API (wgpolicyk8s.io/v1alpha2), as Kyverno writes it.

A `PolicyReport` per namespace that a finding's resource lives in, and one
`ClusterPolicyReport` for the rest, as a YAML stream (`kubectl apply -f` takes it, and
Policy Reporter and the other dashboards of the API read it). How our results map onto the
API's (docs: README, "Policy reports"):

- a finding (one resource, one control) is a `fail` result naming the resource;
- a waived finding is a `skip` result naming the resource, with `waived: "true"` and the
  waiver's reason, author and end date in its properties: waived, not gone;
- a control that passed is one `pass` result without resources, in the ClusterPolicyReport:
  Kyverno writes a pass per resource a rule matched, but a control's verdict names only the
  resources that failed, so the resources it judged and found sound cannot be listed;
  `summary.pass` counts controls, not resources;
- a control that could not be evaluated is one `error` result, with the reason; one that did
  not apply is one `skip` result, with `status: not_applicable` and the reason (the JUnit
  report skips it likewise). Nothing is `warn`: every control is scored.

A finding on a namespaced resource goes to its namespace's report; one on a cluster-scoped
resource, on a Kubernetes object a file gives no namespace, or on something that is not a
Kubernetes object (Terraform, a Vault policy, a Dockerfile) goes to the ClusterPolicyReport.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import yaml

from kaze_policy.catalog import Control
from kaze_policy.report.html import family_of
from kaze_policy.report.interface import Reporter
from kaze_policy.results import ERROR, NOT_APPLICABLE, PASS, ControlResult, Finding, ScanReport

GROUP, VERSION = "wgpolicyk8s.io", "v1alpha2"
API_VERSION = f"{GROUP}/{VERSION}"
SOURCE = "kaze-policy"
LABELS = {"app.kubernetes.io/managed-by": "kaze-policy"}
CLUSTER_REPORT = "kaze-policy-cluster"
RESULTS = ("pass", "fail", "warn", "error", "skip")
# A live object's origin is the API server's URL and the object's path, a snapshot's the file
# and `#` and that path: its apiVersion is in the path (`/apis/apps/v1/namespaces/x/deployments/y`).
_LIVE_PATH = re.compile(r"/(?:api/(v1)|apis/([^/]+)/([^/]+))(?:/namespaces/[^/]+)?/[^/]+/[^/]+$")
# libyaml's emitter when PyYAML has it (the representer stays Python: some 5 µs a value).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def report_name(namespace: str) -> str:
    """The stable name of a namespace's report: a later audit replaces it, never adds one."""
    return f"kaze-policy-{namespace}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PolicyReportReporter(Reporter):
    suffix = ".yaml"

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        # A scan has no time of its own (report.taken is an audit's): the results are
        # stamped with the clock's, as the OSCAL report is.
        self.clock = clock or now

    def render(self, report: ScanReport) -> str:
        documents = policy_reports(report, self.clock)
        return yaml.dump_all(documents, Dumper=_DUMPER, explicit_start=True, sort_keys=False,
                             allow_unicode=True, width=1 << 16)


def policy_reports(report: ScanReport, clock: Callable[[], dt.datetime] = now) -> list[dict[str, Any]]:
    """The ClusterPolicyReport first (always, if only for the controls' verdicts), then a
    PolicyReport per namespace, by name."""
    taken = report.taken
    stamp = _timestamp(dt.datetime.fromisoformat(taken) if taken else clock())
    by_namespace: dict[str | None, list[dict[str, Any]]] = {None: []}
    for result in report.results:
        for namespace, entry in _results(result, stamp):
            by_namespace.setdefault(namespace, []).append(entry)
    cluster = _document(None, by_namespace.pop(None))
    return [cluster, *(_document(ns, entries) for ns, entries in sorted(by_namespace.items()))]


def _document(namespace: str | None, results: list[dict[str, Any]]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": CLUSTER_REPORT if namespace is None else report_name(namespace)}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(LABELS)
    summary = dict.fromkeys(RESULTS, 0)
    for entry in results:
        summary[entry["result"]] += 1
    return {"apiVersion": API_VERSION, "kind": "ClusterPolicyReport" if namespace is None else "PolicyReport",
            "metadata": metadata, "summary": summary, "results": results}


def _results(result: ControlResult, stamp: dict[str, int]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(namespace, result) for each finding, each waived finding, and the control's own verdict."""
    control = result.control
    for finding in result.findings:
        yield _namespace(finding), _finding_entry(control, "fail", finding, stamp, {})
    for finding in result.waived_findings:
        yield _namespace(finding), _finding_entry(control, "skip", finding, stamp, _waiver_properties(finding))
    status = result.status
    if status == PASS:
        yield None, _entry(control, "pass", control.title, stamp, {})
    elif status == ERROR:
        yield None, _entry(control, "error", f"could not be evaluated: {result.reason}", stamp, {})
    elif status == NOT_APPLICABLE:
        yield None, _entry(control, "skip", f"not applicable: {result.reason}" if result.reason else "not applicable",
                           stamp, {"status": NOT_APPLICABLE})


def _entry(control: Control, verdict: str, message: str, stamp: dict[str, int],
           properties: dict[str, str]) -> dict[str, Any]:
    frameworks = "; ".join(f"{name}: {', '.join(refs)}" for name, refs in control.frameworks.items())
    properties = {**properties, **({"frameworks": frameworks} if frameworks else {})}
    return {
        "policy": control.id,
        "rule": control.package.rsplit(".", 1)[-1],
        "result": verdict,
        "severity": control.severity,
        "category": family_of(control),  # the HTML report's families: one name in every report
        "message": message,
        "source": SOURCE,
        "scored": True,
        "timestamp": dict(stamp),  # a dict of its own: YAML would write a shared one as an anchor and aliases
        **({"properties": properties} if properties else {}),
    }


def _finding_entry(control: Control, verdict: str, finding: Finding, stamp: dict[str, int],
                   extra: dict[str, str]) -> dict[str, Any]:
    properties = {"resource": str(finding.resource.get("id")), "location": finding.where,
                  "targets": ", ".join(finding.targets or [finding.target]), **extra}
    entry = _entry(control, verdict, finding.message, stamp, properties)
    reference = _object_reference(finding.resource)
    if reference:
        entry["resources"] = [reference]
    return entry


def _waiver_properties(finding: Finding) -> dict[str, str]:
    waiver = finding.waiver or {}
    return {"waived": "true", "waiver.reason": str(waiver.get("reason") or ""),
            "waiver.by": str(waiver.get("by") or ""), "waiver.until": str(waiver.get("until") or "")}


def _namespace(finding: Finding) -> str | None:
    return finding.resource.get("namespace") or None


def _object_reference(resource: dict[str, Any]) -> dict[str, str]:
    """An ObjectReference, when the finding names a resource by kind and name."""
    kind, name = resource.get("kind"), resource.get("name")
    if not kind or not name:
        return {}
    reference = {"kind": str(kind), "name": str(name)}
    api_version = _api_version(str(kind), str(resource.get("file") or ""))
    if api_version:
        reference = {"apiVersion": api_version, **reference}
    if resource.get("namespace"):
        reference["namespace"] = str(resource["namespace"])
    return reference


def _api_version(kind: str, file: str) -> str | None:
    """A live object's own, from its API path; a file's, Kubernetes' preferred version of a
    built-in kind (a finding does not carry the apiVersion its file wrote); else none: the
    field is optional, and a guess would point dashboards at a resource that is not served."""
    if "://" in file or "#" in file:
        found = _LIVE_PATH.search(file)
        if found:
            core, group, version = found.groups()
            return core or f"{group}/{version}"
    return _builtin_versions().get(kind)


@lru_cache(maxsize=1)
def _builtin_versions() -> dict[str, str]:
    """Kind → the apiVersion Kubernetes prefers for it (the core group first, then GA over beta
    over alpha), from the OpenAPI schemas the scan already checks objects against."""
    from kaze_policy.sources.openapi import known_kinds  # the pinned schemas' (group, version, kind)

    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    for group, version, kind in known_kinds():
        rank = (group == "", *_stability(version))
        if kind not in best or rank > best[kind][0]:
            best[kind] = (rank, f"{group}/{version}" if group else version)
    return {kind: api_version for kind, (_, api_version) in best.items()}


def _stability(version: str) -> tuple[int, int]:
    """v1 > v1beta2 > v1alpha1, and v2 > v1 within a level."""
    found = re.fullmatch(r"v(\d+)(?:(alpha|beta)\d*)?", version)
    if not found:
        return (0, 0)
    return ({None: 3, "beta": 2, "alpha": 1}[found.group(2)], int(found.group(1)))


def _timestamp(at: dt.datetime) -> dict[str, int]:
    """protobuf's Timestamp, as the API has it: whole seconds since the epoch and nanoseconds."""
    seconds = at.timestamp()
    return {"seconds": int(seconds), "nanos": at.microsecond * 1000}
