"""The dashboard in French, in a real browser: headings, labels, captions, charts and tooltips with no
English word left, chosen by the browser's languages, the configuration or the sidebar's switch."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, screenshot, served, wait_for_app, wait_for_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="needs Debian's chromium (apt-get install chromium); CI installs it",
    ),
]

ROOT = Path(__file__).resolve().parents[1]

#: Words that are English and not French: one of them on a French page is a string left untranslated.
ENGLISH = {
    "the", "of", "and", "to", "in", "is", "are", "by", "with", "from", "people", "who", "rate", "rates",
    "share", "week", "weeks", "month", "months", "period", "periods", "group", "groups", "headcount",
    "overview", "sign", "data", "filters", "leads", "trails", "took", "wrote", "something", "covers", "largest",
    "drawn", "partial", "against", "target", "expected", "track", "behind", "leaders", "contributors",
    "employed", "show", "network", "teams", "team", "at", "risk", "all", "per", "over", "under", "left", "out",
    "this", "that", "which", "only", "whole", "grain", "adoption by", "department", "level", "audit", "people",
    "communities", "getting", "started", "language", "none", "yet", "rose", "fell", "held", "ties", "inside",
    "outside", "replies", "reactions", "posted", "replied", "reads",
    "report", "executives", "managers and", "staff", "everyone", "external", "organisation's", "contribution rate",
}
#: Proper nouns and product names a French page keeps as they are (the sample company's groups come
#: from its data, and are not checked: they hold none of the words above).
ALLOWED = {"Ruche", "Viva", "Engage", "Slack", "Mattermost", "Microsoft", "Louvain", "Gini", "E-I", "Yammer"}

TEXTS = ", ".join([
    "h1", "h2", "h3", "[data-testid=stWidgetLabel]", "[data-testid=stMetricLabel]", "[data-testid=stCaptionContainer]",
    "[data-testid=stSidebarNav]", "[data-testid=stAlert]", "[data-testid=stSelectbox]",
    ".js-plotly-plot .gtitle", ".js-plotly-plot .xtitle", ".js-plotly-plot .ytitle", ".js-plotly-plot .legendtext",
    ".js-plotly-plot .xtick", "[data-testid=stTooltipContent]",
])


def english_words(texts: list[str]) -> list[tuple[str, str]]:
    """The English words of ``texts`` (case-insensitive), with the text each is in.

    >>> english_words(["Taux de participation", "Participation rate", "Ruche · Louvain", "inégalement réparties"])
    [('rate', 'Participation rate')]
    """
    found = []
    for text in texts:
        clean = text
        for name in ALLOWED:
            clean = clean.replace(name, " ")
        # accented letters belong to their word ('inégalement' holds no 'in')
        words = re.findall(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ][A-Za-zÀ-ÖØ-öø-ÿŒœ'’-]*", clean.lower())
        phrases = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        found += [(w, text) for w in phrases if w in ENGLISH]
    return found


@contextlib.contextmanager
def french_page(locale: str = "fr-FR"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
            yield context.new_page()
        finally:
            browser.close()


def page_texts(page) -> list[str]:
    """The text of the page's headings, labels, captions, charts and the tooltips of its help icons."""
    for icon in page.locator("[data-testid=stMain] [data-testid=stTooltipIcon]").all()[:8]:
        icon.hover()
        with contextlib.suppress(Exception):
            page.locator("[data-testid=stTooltipContent]").last.wait_for(timeout=3_000)
        page.mouse.move(0, 0)
    texts = [t for t in page.locator(TEXTS).all_inner_texts() if t and t.strip()]
    texts += page.locator(".js-plotly-plot .gtitle, .js-plotly-plot .xtick, .js-plotly-plot .legendtext").all_text_contents()
    return texts


def test_overview_in_french_by_the_browser_language(sample_store):
    """No language configured: a browser asking for French gets the Overview in French, its figures
    written the French way, and not one English word in its headings, labels, captions or charts."""
    with served(sample_store) as url, french_page() as page:
        page.goto(url)
        wait_for_app(page, "Taux de participation")
        wait_for_charts(page, 2)
        body = page.inner_text("body")
        assert "Vue d'ensemble" in body and "Taux de contribution" in body and "Filtres" in body
        assert re.search(r"\d+,\d\u00a0%", body), "percentages read 68,2 %"
        ticks = page.locator(".js-plotly-plot .xtick").all_text_contents()
        assert any(re.fullmatch(r"(janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}( \(partielle\))?", t)
                   for t in ticks), ticks
        texts = page_texts(page)
        assert len(texts) > 20
        assert english_words(texts) == []
        page.mouse.move(0, 0)
        page.locator("[data-testid=stTooltipContent]").wait_for(state="detached", timeout=5_000)
        screenshot(page, "overview-fr")
        if os.environ.get("RUCHE_UPDATE_SCREENSHOTS"):  # the README's, as docs/screenshot-overview.png: one screen
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ROOT / "docs" / "screenshot-overview-fr.png"))


#: Each page in French, by its path, and a heading it shows once drawn.
PAGES = [
    ("participation", "Classement", 2),
    ("contributors", "Concentration", 2),
    ("network", "Indice E-I par groupe", 2),
    ("communities", "Toutes les communautés", 2),
    ("teams-at-risk", "Changements depuis la dernière période", 0),
    ("data", "Couverture par source et par période", 0),
    ("people", "Passeurs de frontières", 0),
    ("audit", "Journal d'accès", 0),
]


def test_every_page_in_french(sample_store):
    """Every page of the demo, in French: no English word in its headings, labels, captions, charts
    or tooltips."""
    left = {}
    with served(sample_store) as url, french_page() as page:
        for path, heading, charts in PAGES:
            page.goto(f"{url}/{path}")
            wait_for_app(page, heading, timeout_ms=60_000)
            if charts:
                wait_for_charts(page, charts, timeout_ms=60_000)
            found = english_words(page_texts(page))
            if found:
                left[path] = found
            screenshot(page, f"{path}-fr")
    assert left == {}, "\n".join(f"{path}: {word!r} in {text!r}" for path, found in left.items() for word, text in found)


def test_the_configured_language_wins_over_the_browser(sample_store, tmp_path):
    with served(sample_store, {"RUCHE_LANGUAGE": "fr"}) as url, french_page("en-US") as page:
        page.goto(url)
        wait_for_app(page, "Taux de participation")
        assert "Vue d'ensemble" in page.inner_text("body")


def test_the_sidebar_switches_to_english(sample_store):
    with served(sample_store) as url, french_page() as page:
        page.goto(url)
        wait_for_app(page, "Taux de participation")
        page.locator("section[data-testid='stSidebar']").get_by_role("combobox", name="Langue", exact=True).click()
        page.get_by_role("option", name="English", exact=True).click()
        wait_for_app(page, "Participation rate")
        wait_for_charts(page)
        body = page.inner_text("body")
        assert "Overview" in body and "Filters" in body and "Vue d'ensemble" not in body
        assert re.search(r"\d+\.\d%", body)
