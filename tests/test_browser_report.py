"""`ruche report` on a phone: 390 px wide in Debian's chromium, no horizontal scroll, under 1 MB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, browser_page

DEMO_CONFIG = str(Path(__file__).resolve().parents[1] / "dashboard" / "demo.toml")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]


@pytest.fixture(scope="module")
def report_file(sample_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "adoption.html"
    env = dict(os.environ, RUCHE_CONFIG=DEMO_CONFIG, RUCHE_KEY="ab" * 32)
    done = subprocess.run([sys.executable, "-m", "ruche.cli", "report", "--db", str(sample_store), "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_the_report_weighs_under_a_megabyte(report_file):
    page = report_file.read_text(encoding="utf-8")
    assert report_file.stat().st_size < 1_000_000
    assert "<script" not in page  # nothing to run: the charts are drawn, not scripted
    assert page.count('<div class="chart"><svg') == 2


def test_the_report_reads_on_a_390px_phone(report_file):
    with browser_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = page.evaluate("[...document.querySelectorAll('.chart svg, .card, table')]"
                               ".map(e => e.getBoundingClientRect().right)")
        assert len(widths) == 2 + 4 + 1 and max(widths) <= 390
        sizes = page.evaluate("[...document.querySelectorAll('.meaning, td, .reading')]"
                              ".map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert min(sizes) >= 12  # small print stays legible
        body = page.inner_text("body")
        assert "Roadmap" in body and "Marketing" in body and "pilot" in body
        assert "Active people / headcount." in body  # a meaning beside each headline
