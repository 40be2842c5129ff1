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
    assert page.count('<div class="wide"><svg') == page.count('<div class="narrow"><svg') == 2


def test_the_report_reads_on_a_390px_phone(report_file):
    with browser_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # on a phone, the charts drawn for it; the wide ones hidden
        assert page.evaluate("[...document.querySelectorAll('.chart .wide')].map(e => e.offsetParent)") == [None, None]
        widths = page.evaluate("[...document.querySelectorAll('.chart .narrow svg, .card, .roadmap li')]"
                               ".map(e => e.getBoundingClientRect().right)")
        assert len(widths) == 2 + 4 + 28 and max(widths) <= 390  # 14 departments (Operations split in May), 2 targets each
        sizes = page.evaluate("[...document.querySelectorAll('.meaning, .roadmap li, .reading')]"
                              ".map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert min(sizes) >= 12  # small print stays legible
        body = page.inner_text("body")
        assert "Roadmap" in body
        assert ("Customer Service (rollout): contribution 15.0% by 2026-12-31; 10.6% in 2026-10 against 13.0% "
                "expected, behind by 2.4 points") in body
        assert "Active people / headcount." in body  # a meaning beside each headline


def test_the_report_uses_the_whole_width_of_a_desktop(report_file):
    with browser_page() as page:
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("[...document.querySelectorAll('.chart .narrow')].map(e => e.offsetParent)") == [None, None]
        assert page.evaluate("document.querySelector('.chart .wide svg').getBoundingClientRect().width") == 900
