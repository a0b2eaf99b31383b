"""The canonical JSON report (schema: kaze_policy/schemas/report.schema.json)."""

from __future__ import annotations

import json

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ScanReport


class JsonReporter(Reporter):
    suffix = ".json"

    def render(self, report: ScanReport) -> str:
        return json.dumps(report.to_json(), indent=2, sort_keys=False, default=str) + "\n"
