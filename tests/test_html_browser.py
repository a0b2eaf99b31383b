"""The HTML report as a person sees it: headless Chromium (Debian's package, `make tools`
installs it) draws the report of the shipped cell customer-vpc-aws and of a failing fixture;
the screenshots are saved under reports/ to be looked at, and their pixels checked: the
summary's chart is drawn (its pass green; the failing report's red too), and the failing
report shows its "Needs attention" list on the first screen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, INFRA, ROOT, run_cli
from tests.report_cases import FAILING_CASE

PASS_GREEN, FAIL_RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)
FAILED_STEP = (0xFD, 0xEC, 0xEA)  # the tint of a failed step's line
SHOTS = ROOT / "reports" / "screenshots"


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if IN_CI:
            pytest.fail("chromium is not installed: make tools installs it")
        pytest.skip("chromium is not installed: make tools installs it")
    return path


def _screenshot(html: Path, png: Path, height: int = 1000) -> set[tuple[int, int, int]]:
    from PIL import Image

    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size=1280,{height}", f"--screenshot={png}", html.resolve().as_uri()],
                   capture_output=True, timeout=120, check=True)
    with Image.open(png) as image:
        return _colours(image.convert("RGB"))


def _colours(rgb: Any) -> set[tuple[int, int, int]]:
    """Every colour of an RGB image (counted in C by Pillow, not pixel by pixel in Python)."""
    return {colour for _, colour in rgb.getcolors(maxcolors=rgb.width * rgb.height)}


def _first_row_with(rgb: Any, colour: tuple[int, int, int]) -> int | None:
    """The first row holding a pixel of `colour`, found in the image's raw bytes."""
    raw, pixel = rgb.tobytes(), bytes(colour)
    at = raw.find(pixel)
    while at != -1 and at % 3:  # a match across two pixels is none
        at = raw.find(pixel, at + 1)
    return None if at == -1 else at // 3 // rgb.width


def test_the_failing_report_shows_what_needs_attention_first(tmp_path: Path) -> None:
    html = tmp_path / "fail.html"
    done = run_cli("scan", str(FAILING_CASE), "--format", "html", "--output", str(html), "--no-progress")
    assert done.returncode == 1, done.stderr
    colours = _screenshot(html, SHOTS / "failing-fixture.png", height=900)
    assert PASS_GREEN in colours and FAIL_RED in colours  # the chart, and the red badges of the first screen
    text = html.read_text()
    assert text.index("Needs attention") < text.index("<svg")


def test_the_shipped_cell_report_draws_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    done = run_cli("audit", str(INFRA / "kubernetes" / "overlays" / "customer-vpc-aws"), "--root", str(INFRA),
                   "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    colours = _screenshot(out / "audit.html", SHOTS / "customer-vpc-aws.png")
    assert PASS_GREEN in colours  # the chart is drawn (red is in its legend, failing or not)
    assert "No control failed" in (out / "audit.html").read_text()


def test_a_failing_scenario_shows_its_steps_and_evidence(tmp_path: Path) -> None:
    """The audit's report of the failing fixture: its failing control's section, drawn with the
    page's own styles, shows a failed Then step (its line tinted, its mark red) with the
    findings under it; the screen around it is saved."""
    from PIL import Image

    out = tmp_path / "audit"
    done = run_cli("audit", str(FAILING_CASE), "--out", str(out), "--no-progress")
    assert done.returncode == 1, done.stderr
    text = (out / "audit.html").read_text()
    section = '<section class="control" id="KZ-TEN-05"' + text.split('<section class="control" id="KZ-TEN-05"')[1]
    section = section.split("</section>")[0] + "</section>"
    # The page's head (its styles) and the one section: drawing the whole page takes seconds.
    alone = tmp_path / "section.html"
    alone.write_text(text[:text.index("<body")] + "<body>\n" + section + "\n</body></html>\n")
    shot_path = SHOTS / "failing-audit-scenario.png"
    colours = _screenshot(alone, shot_path, height=1100)
    with Image.open(shot_path) as image:
        assert _first_row_with(image.convert("RGB"), FAILED_STEP) is not None, "no failed step is drawn"
    assert FAIL_RED in colours  # the fail badge and the failed step's mark, beside the tinted line
    assert "Scenario:" in section and "<strong>Then</strong>" in section and 'class="failed"' in section
    assert "Evidence:" in section and "NET_ADMIN" in section
