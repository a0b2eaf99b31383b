"""The HTML report as a person sees it: headless Chromium (Debian's package, `make tools`
installs it) draws the report of the shipped cell customer-vpc-aws and of a failing fixture;
the screenshots are saved under reports/ to be looked at, and their pixels checked: the
summary's chart is drawn (its pass green; the failing report's red too), and the failing
report shows its "Needs attention" list on the first screen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI, INFRA, ROOT, run_cli
from tests.report_cases import FAILING_CASE

PASS_GREEN, FAIL_RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)
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
        rgb = image.convert("RGB")
        return {rgb.getpixel((x, y)) for x in range(0, rgb.width, 2) for y in range(0, rgb.height, 2)}


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
