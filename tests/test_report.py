"""The HTML report: offline, and every chart drawn without a JavaScript error in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import lean_chain
from lean_chain.cli import main
from lean_chain.report import build_report, write_report

TINY = Path(__file__).parent / "data" / "tiny"
#: Debian's package (``apt-get install chromium``; .ci/run installs it).
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
#: The flags of a headless Chromium on a machine with no network but the package registries.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two runs of tiny: the exact method (with its sensitivity report) and decompose."""
    root = tmp_path_factory.mktemp("runs")
    instance = lean_chain.load_instance(TINY)
    exact = lean_chain.write_plan(lean_chain.solve(instance), root / "exact")
    decomposed = lean_chain.write_plan(
        lean_chain.solve(instance, method="decompose"), root / "decompose"
    )
    return exact, decomposed


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory) -> Path:
    exact, decomposed = runs
    return write_report(
        exact, tmp_path_factory.mktemp("report") / "report.html", compare=decomposed
    )


def _chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _rendered(html_file: Path) -> tuple[int, int, str]:
    """Charts in the page, charts plotly marked as drawn, and recorded JavaScript errors."""
    dom = _chromium("--dump-dom", html_file.as_uri())
    charts = len(re.findall(r'<div class="chart"', dom))
    drawn = len(re.findall(r'data-rendered="1"', dom))
    errors = re.search(r'data-js-errors="([^"]*)"', dom)
    return charts, drawn, errors.group(1) if errors else ""


def test_report_is_self_contained_and_offline(report):
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", text, re.IGNORECASE)
    assert "window.PlotlyGeoAssets = {topojson: {world_110m: {" in text
    # the outline is set before plotly.js loads, so plotly never fetches it
    assert text.index("PlotlyGeoAssets") < text.index("plotly.js v")
    for caption in ("Network and flows", "Cost waterfall", "Costliest SKUs", "Sensitivity"):
        assert caption in text
    assert "Channel mix shift" in text  # --compare


def test_every_chart_has_a_caption(runs):
    text = build_report(runs[0])
    charts = re.findall(r"<h2>[^<]+</h2>\n<p class='caption'>[^<]+</p>\n<div class=\"chart\"", text)
    assert len(charts) == text.count('<div class="chart"') == 8


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed here (Debian: apt-get install chromium; .ci/run "
    "installs it and only a failed install leaves this test skipped)",
)
def test_report_renders_in_headless_chromium(report, tmp_path):
    charts, drawn, errors = _rendered(report)
    assert errors == ""
    assert charts == 10  # 8 charts of the run + 2 of the comparison
    assert drawn == charts

    screenshot = tmp_path / "report-screenshot.png"
    _chromium("--window-size=1280,5200", f"--screenshot={screenshot}", report.as_uri())
    assert screenshot.stat().st_size > 10_000
    print(f"report screenshot: {screenshot}")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed here")
def test_the_browser_check_sees_javascript_errors(report, tmp_path):
    broken = tmp_path / "broken.html"
    text = report.read_text(encoding="utf-8")
    broken.write_text(text.replace("</body>", "<script>noSuchFunction();</script></body>"))
    _charts, _drawn, errors = _rendered(broken)
    assert "noSuchFunction" in errors


def test_cli_report(runs, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(runs[0]), "-o", str(out), "--instance", str(TINY)]) == 0
    assert out.stat().st_size > 1_000_000  # plotly.js inlined
    assert '"report"' in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing"), "-o", str(out)]) == 2
