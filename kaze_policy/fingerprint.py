"""A finding's fingerprint: the same finding in the next scan, wherever its lines went.

Code scanning (SARIF `partialFingerprints`), GitLab's Code Quality widget and a baseline of
accepted findings all ask one question of two scans: is this the finding we saw before, or a
new one? A fingerprint that changed whenever a line was added above a manifest, or a file
was re-indented, would close every alert and open it again as new on each such commit, and a
baseline would stop matching what it accepted. So the fingerprint is made of what the
finding *is*, never of where it happens to be printed:

- the control id: the same resource fails different controls for different reasons;
- the resource's kind, namespace and name (and its id, which for Terraform adds the module
  folder, and is all there is when the resource could not be resolved): which object is
  at fault, as the API server or Terraform names it, whatever file or line holds it;
- the message, with its whitespace normalised: what is wrong with the object (which
  container, which port, which subject); a message re-wrapped by a policy's sprintf, or a
  value re-flowed in YAML, reads the same;
- the evidence's `field_path`, when it names one: two faults of one object with the same
  message (the same capability added in two containers) are told apart by where in the
  object they are, as keys and list indexes, which a reformatting does not change.

Left out on purpose: the file's line and column (they move with every edit above the object,
and with any re-indentation), the file name and target (splitting a multi-document file or
moving a manifest to another folder leaves the object the API server gets unchanged, and the
path depends on how the scan was called: `infra/` or `./infra`), and the rest of the
evidence (it holds lines, for Dockerfiles, and values read from live systems that change
between runs without the finding changing). A message that quotes a line number (a
Dockerfile's `FROM` on line 3) has that number masked, for the same reason.

The function's name and signature are an interface: the baseline feature imports it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

from kaze_policy.results import Finding

# Bumped only if the parts change: every stored fingerprint would stop matching.
_VERSION = "kaze-policy/finding/v1"
# "line 3", "lines 4-9", "column 7": positions some messages quote (dockerfile_digests.rego).
_POSITION = re.compile(r"\b(lines?|col|column)\s+\d+(?:\s*[-\u2013]\s*\d+)?", re.IGNORECASE)


def finding_fingerprint(control_id: str, finding: Finding) -> str:
    """The hex SHA-256 of what identifies `finding` of `control_id` across line moves."""
    resource = finding.resource
    parts = [_VERSION, control_id, resource.get("kind"), resource.get("namespace"), resource.get("name"),
             resource.get("id"), normalised_message(finding.message), _field_path(finding.evidence)]
    # A JSON array: no separator a name or message could contain makes two part lists collide.
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def normalised_message(message: str) -> str:
    """The message with runs of whitespace as one space and quoted positions masked."""
    return _POSITION.sub(lambda m: f"{m.group(1)} ?", " ".join(str(message).split()))


def _field_path(evidence: Any) -> list[Any] | None:
    path = evidence.get("field_path") if isinstance(evidence, Mapping) else None
    return list(path) if isinstance(path, (list, tuple)) else None
