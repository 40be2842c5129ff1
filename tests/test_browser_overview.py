"""The dashboard in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import pytest

from tests.browser_support import CHROMIUM, browser_page, screenshot, served, wait_for_app, wait_for_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not __import__("os").path.exists(CHROMIUM) and not __import__("os").environ.get("CI"),
        reason="needs Debian's chromium (apt-get install chromium); CI installs it",
    ),
]


def test_overview_in_the_browser(tiny_store):
    with served(tiny_store) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Participation rate")
        wait_for_charts(page)
        body = page.inner_text("body")
        assert "Overview" in body and "36.4%" in body
        screenshot(page, "overview-tiny")
