"""`audit --apply-reports`: the audit's PolicyReports written to the cluster it read.

Each report is created or updated by server-side apply (field manager `kaze-policy`, conflicts
forced: the reports are ours alone), so that running the audit again replaces its reports
rather than adding to them; then the reports an earlier audit left in namespaces that have no
finding any more are deleted (by the label every report carries), since a stale `fail` in a
dashboard is as wrong as a missing one. A report the server refuses is recorded and the others
are still applied; the caller exits 3. Credentials need `create`, `patch`, `list` and `delete`
on policyreports and clusterpolicyreports of wgpolicyk8s.io.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kaze_policy.errors import KazePolicyError
from kaze_policy.report.policyreport import GROUP, LABELS, VERSION
# The live read's client: the same kubeconfig, context and in-cluster loading, with the same
# one-line errors for a kubeconfig that cannot be used.
from kaze_policy.sources.cluster import ApiResource, ReadOptions, Refused, ClusterClient, object_path

FIELD_MANAGER = "kaze-policy"
KINDS = {"PolicyReport": ApiResource(GROUP, VERSION, "policyreports", "PolicyReport", True),
         "ClusterPolicyReport": ApiResource(GROUP, VERSION, "clusterpolicyreports", "ClusterPolicyReport", False)}
_DONE = {"apply": "applied", "delete": "deleted (no finding there any more)", "list": "listed"}
_SELECTOR = ",".join(f"{key}={value}" for key, value in LABELS.items())


class CrdsMissing(KazePolicyError):
    """The cluster does not serve the Policy Report API: nothing can be applied (exit 3)."""

    exit_code = 3


@dataclass(frozen=True)
class Outcome:
    """What became of one report: applied, deleted (stale), or refused with the server's word."""

    report: str  # `PolicyReport tenant-acme/kaze-policy-tenant-acme`
    action: str  # "apply", "delete", or "list" (the reports an earlier audit left)
    error: str | None = None

    def line(self) -> str:
        if self.error is not None:
            return f"error: the API server refused to {self.action} {self.report}: {self.error}"
        return f"{_DONE[self.action]} {self.report}"


def apply_reports(documents: list[dict[str, Any]], options: ReadOptions) -> list[Outcome]:
    """Apply every report, then delete our reports that this audit did not write."""
    client = ClusterClient(options)
    try:
        _require_crds(client)
        outcomes = [_apply(client, document) for document in documents]
        return outcomes + _prune(client, {_key(document) for document in documents})
    finally:
        client.close()


def _require_crds(client: ClusterClient) -> None:
    try:
        served = {r.get("name") for r in client.get(f"/apis/{GROUP}/{VERSION}").get("resources") or []}
    except Refused as err:
        if err.status != 404:
            raise CrdsMissing(f"cannot read the discovery of {GROUP}/{VERSION}: {err}", client.server) from None
        served = set()
    missing = sorted(api.resource for api in KINDS.values() if api.resource not in served)
    if missing:
        raise CrdsMissing(f"the cluster does not serve {GROUP}/{VERSION} {', '.join(missing)}: install the "
                          "Policy Report CRDs first (`make tools` copies Kyverno's to .tools/crds/)", client.server)


def _key(document: dict[str, Any]) -> tuple[str, str | None, str]:
    metadata = document["metadata"]
    return document["kind"], metadata.get("namespace"), metadata["name"]


def _shown(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _path(kind: str, namespace: str | None, name: str) -> str:
    return object_path(KINDS[kind], namespace, name)


def _apply(client: ClusterClient, document: dict[str, Any]) -> Outcome:
    kind, namespace, name = _key(document)
    query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
    # JSON is YAML: the body of an apply patch, sent as it is.
    error = _send(client, "PATCH", _path(kind, namespace, name), query, json.dumps(document),
                  "application/apply-patch+yaml")
    return Outcome(_shown(kind, namespace, name), "apply", error)


def _prune(client: ClusterClient, kept: set[tuple[str, str | None, str]]) -> list[Outcome]:
    """Delete our reports (by label, of either kind) that this audit did not write."""
    outcomes = []
    for kind, api in KINDS.items():
        try:
            listed = client.get(f"{api.path}/{api.resource}", {"labelSelector": _SELECTOR})
        except (Refused, KazePolicyError) as err:  # the applied ones are still reported, one line each
            outcomes.append(Outcome(f"the {kind}s labelled {_SELECTOR}", "list", _one_line(err)))
            continue
        for item in listed.get("items") or []:
            key = _key({"kind": kind, "metadata": item.get("metadata") or {}})
            if key not in kept:
                outcomes.append(_delete(client, *key))
    return outcomes


def _delete(client: ClusterClient, kind: str, namespace: str | None, name: str) -> Outcome:
    error = _send(client, "DELETE", _path(kind, namespace, name), [], None, "application/json")
    return Outcome(_shown(kind, namespace, name), "delete", error)


def _send(client: ClusterClient, method: str, path: str, query: list[tuple[str, str]], body: str | None,
          content_type: str) -> str | None:
    """One write, once (an apply is idempotent, but a refusal is the answer to report): None
    when the server took it, else its reason in one line."""
    import urllib3
    from kubernetes.client.rest import ApiException

    try:
        method, url, headers, _, _ = client.api.param_serialize(
            method, path, query_params=query, header_params={"Content-Type": content_type,
                                                             "Accept": "application/json"},
            auth_settings=["BearerToken"])
        response = client.api.call_api(method, url, header_params=headers, body=body,
                                       _request_timeout=(client.timeout, client.timeout))
        answer = response.read()
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as err:
        return _one_line(getattr(err, "reason", None) or err)
    if 200 <= response.status < 300:
        return None
    return f"HTTP {response.status}: {_status_message(answer, response.reason)}"


def _status_message(body: bytes, reason: Any) -> str:
    try:
        return _one_line(json.loads(body).get("message") or reason)
    except (TypeError, ValueError, AttributeError):
        return _one_line(reason)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:300]
