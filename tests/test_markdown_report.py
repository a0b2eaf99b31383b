"""The Markdown report, as GitHub-flavoured Markdown renders it (markdown-it, CommonMark + tables):
the summary table, each failure with its place and remediation, and nothing taken from the
inputs that turns into a link, an image, emphasis or HTML."""

from __future__ import annotations

from markdown_it import MarkdownIt

from kaze_policy.report.markdown import MarkdownReporter, escape
from tests.report_cases import failing_report

HOSTILE = ('<script>alert(1)</script> ![x](https://evil.example/i.png) [click](https://evil.example) '
           '**bold** `code` | cell | &lt;b&gt; ~~gone~~')


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)



def test_the_summary_and_each_failure_with_its_remediation() -> None:
    report = failing_report()
    html = _render(MarkdownReporter().render(report))
    assert "<table>" in html and "<td>critical</td>" in html
    failed = [r for r in report.results if r.status == "fail"]
    assert failed
    for result in failed:
        assert f"<h3>{result.control.id} ({result.control.severity})" in html
        for finding in result.findings:
            assert f"<code>{finding.where}</code>" in html


def test_nothing_from_the_inputs_becomes_markup() -> None:
    html = _render(MarkdownReporter().render(failing_report(HOSTILE)))
    for markup in ("<script", "<img", "<a ", "<strong>bold", "<s>gone", "<code>code"):
        assert markup not in html, markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as written
    assert "&amp;lt;b&amp;gt;" in html  # an entity in the input stays text


def test_escape_keeps_one_line() -> None:
    assert "\n" not in escape("a\nb|c") and escape("a|b") == "a\\|b"
