"""The HTML report: one self-contained file (nothing loaded from elsewhere, no script), the
summary and chart first, every control with its evidence and remediation, a print stylesheet,
and every piece of input text escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from kaze_policy.report.html import HtmlReporter
from tests.report_cases import failing_report

HOSTILE = '<script>alert(1)</script><img src="https://evil.example/x.png" onerror="alert(2)">"quoted" & more'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser



def test_one_file_with_the_summary_the_chart_and_every_control() -> None:
    report = failing_report()
    html = HtmlReporter().render(report)
    parsed = _parse(html)
    tags = [tag for tag, _ in parsed.tags]
    assert tags.index("svg") < tags.index("h3"), "the chart comes before the controls"
    assert "@media print" in html
    ids = {attrs.get("id") for tag, attrs in parsed.tags if tag == "section"}
    assert ids == {r.control.id for r in report.results}
    text = "".join(parsed.text)
    for result in report.results:
        for finding in result.findings:
            assert finding.message in text
        if result.status == "fail":
            assert result.control.remediation in text


def test_nothing_is_loaded_from_elsewhere_and_nothing_runs() -> None:
    parsed = _parse(HtmlReporter().render(failing_report(HOSTILE)))
    assert not [t for t, _ in parsed.tags if t in ("script", "img", "iframe", "link", "object", "embed")]
    for _, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), attrs
        assert not any(value and "://" in value and name in ("src", "href") for name, value in attrs.items())
    assert HOSTILE in "".join(parsed.text)  # shown as written
