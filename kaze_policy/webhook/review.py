"""The `admission.k8s.io/v1` AdmissionReview: the request read strictly, the response built.

A body that is not a v1 AdmissionReview with a request (not JSON, another API version, a
request without a uid or an operation, an object that is not an object) is BadReview: the
server answers HTTP 400 naming what is wrong. The API server never sends such a body, so
whoever did is told plainly, and nothing is admitted on a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kaze_policy.inventory import resource_id

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
# The API server's own limit on a request body is 3 MiB; an AdmissionReview carries the object
# (and for an UPDATE the old one too), so a body past this is not one the API server sent.
MAX_BODY_BYTES = 3 * 1024 * 1024
OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})


class BadReview(ValueError):
    """The body is not an AdmissionReview the server can decide: HTTP 400 with this message."""


@dataclass(frozen=True)
class AdmissionRequest:
    """What the API server asks about: one operation on one object, by one user."""

    uid: str
    operation: str
    kind: str  # the object's kind (request.kind.kind)
    group: str
    version: str
    resource: str  # the resource (`pods`), and its subresource if any (`pods/ephemeralcontainers`)
    namespace: str | None
    name: str
    object: dict[str, Any] | None
    old_object: dict[str, Any] | None
    dry_run: bool
    user: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> dict[str, Any] | None:
        """The object the controls judge: the new one, or on DELETE the one deleted."""
        return self.object if self.object is not None else self.old_object

    @property
    def resource_id(self) -> str:
        """The inventory id of the object, as the scan names it (`Pod/tenant-acme/agent`)."""
        return resource_id(self.kind, self.namespace, self.name)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def parse_review(body: bytes) -> AdmissionRequest:
    """The request of an AdmissionReview body; BadReview saying what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise BadReview(f"the body has {len(body)} bytes, more than the {MAX_BODY_BYTES} an AdmissionReview may have")
    try:
        review = json.loads(body)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise BadReview(f"the body is not JSON ({_first_line(err)})") from None
    if not isinstance(review, dict):
        raise BadReview("the body is not a JSON object")
    if review.get("apiVersion") != API_VERSION or review.get("kind") != KIND:
        raise BadReview(f"expected an {KIND} of {API_VERSION}, got kind {review.get('kind')!r} "
                        f"of apiVersion {review.get('apiVersion')!r}")
    request = review.get("request")
    if not isinstance(request, dict):
        raise BadReview("the AdmissionReview has no request")
    return _request(request)


def _request(request: dict[str, Any]) -> AdmissionRequest:
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise BadReview("request.uid is missing")
    operation = request.get("operation")
    if not isinstance(operation, str) or operation not in OPERATIONS:  # a list or an object is no operation
        raise BadReview(f"request.operation {operation!r} is not one of {', '.join(sorted(OPERATIONS))}")
    kind = _mapping(request, "kind")
    resource = _mapping(request, "resource")
    new, old = _object(request, "object"), _object(request, "oldObject")
    if operation in ("CREATE", "UPDATE") and new is None:
        raise BadReview(f"request.object is missing from a {operation}")
    subject = new if new is not None else old
    metadata = subject.get("metadata") if isinstance(subject, dict) else None
    name = request.get("name") or (metadata.get("name") if isinstance(metadata, dict) else None) or ""
    if not name and isinstance(metadata, dict) and metadata.get("generateName"):
        name = f"{metadata['generateName']}<generated>"  # named by the API server after admission
    sub = request.get("subResource")
    if sub is not None and not isinstance(sub, str):  # the API server sends a name, or nothing
        raise BadReview(f"request.subResource {sub!r} is not a string")
    user = request.get("userInfo")
    return AdmissionRequest(
        uid=uid, operation=operation, kind=str(kind.get("kind") or ""), group=str(kind.get("group") or ""),
        version=str(kind.get("version") or ""),
        resource=f"{resource.get('resource') or ''}{'/' + sub if sub else ''}",
        namespace=str(request["namespace"]) if request.get("namespace") else None, name=str(name),
        object=new, old_object=old, dry_run=request.get("dryRun") is True,
        user=user if isinstance(user, dict) else {})


def _mapping(request: dict[str, Any], key: str) -> dict[str, Any]:
    value = request.get(key)
    if not isinstance(value, dict):
        raise BadReview(f"request.{key} is missing or not an object")
    return value


def _object(request: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadReview(f"request.{key} is not an object")
    return value


def review_response(uid: str, allowed: bool, message: str = "", code: int | None = None,
                    warnings: list[str] | None = None) -> dict[str, Any]:
    """The AdmissionReview the API server reads back: the uid echoed, the decision, why."""
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed or message:
        response["status"] = {"code": code or (200 if allowed else 403), "message": message}
        if not allowed:
            response["status"]["reason"] = "Forbidden" if (code or 403) == 403 else "InternalError"
    if warnings:
        response["warnings"] = warnings
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0][:200]
