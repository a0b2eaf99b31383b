"""The canonical JSON report (schema: kaze_policy/schemas/report.schema.json)."""

from __future__ import annotations

import json

import orjson

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ScanReport


class JsonReporter(Reporter):
    suffix = ".json"

    def render(self, report: ScanReport) -> str:
        return render_json(report.to_json()) + "\n"


# What the standard library's json.dumps(indent=2, default=str) wrote, but for non-ASCII text,
# which orjson writes as UTF-8 instead of \u escapes: dates, dataclasses and subclasses go to
# `str` as before, and keys that are not strings are written as strings.
_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


def render_json(value: object) -> str:
    """A JSON document indented by two spaces, encoded in Rust (orjson); by the standard
    library when orjson cannot (an integer wider than 64 bits, which a manifest may hold)."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2, default=str)
