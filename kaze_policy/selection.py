"""Which controls a scan runs: --control and --skip-control, ids or globs (`KZ-SUP-*`).

Resolved against the catalog before any input is read: a typo in a CI job is one line and
exit 2 at once, never a scan that quietly ran nothing, or everything, after minutes of reading.
"""

from __future__ import annotations

import fnmatch

from kaze_policy.catalog import Catalog
from kaze_policy.errors import UsageError


def select_controls(catalog: Catalog, wanted: list[str], skipped: list[str]) -> list[str]:
    """The ids to run, in the catalog's order (or every id when nothing is wanted), minus the skipped.

    Every pattern must name at least one control of the catalog; skipping every selected
    control leaves nothing to judge, which is no pass: both are usage errors.
    """
    ids = [c.id for c in catalog.controls]
    unknown = [p for p in [*wanted, *skipped] if not _matching(ids, p)]
    if unknown:
        raise UsageError(f"unknown control id(s): {', '.join(dict.fromkeys(unknown))} "
                         f"(see kaze-policy controls)")
    chosen = [i for i in ids if any(_matches(i, p) for p in wanted)] if wanted else ids
    chosen = [i for i in chosen if not any(_matches(i, p) for p in skipped)]
    if not chosen:
        raise UsageError("--skip-control leaves no control to run")
    return chosen


def _matching(ids: list[str], pattern: str) -> list[str]:
    return [i for i in ids if _matches(i, pattern)]


def _matches(control_id: str, pattern: str) -> bool:
    # Ids are upper case in the catalog; a lower-case kz-sup-* on a command line means the same.
    return fnmatch.fnmatchcase(control_id, pattern.upper())
