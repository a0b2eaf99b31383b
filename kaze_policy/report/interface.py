"""The interface of a reporter: a ScanReport in, the bytes of one document out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from kaze_policy.results import ScanReport


class Reporter(ABC):
    suffix: str

    @abstractmethod
    def render(self, report: ScanReport) -> str:
        """The whole document as text."""
