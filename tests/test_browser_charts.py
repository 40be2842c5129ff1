"""The dashboard's chart element in a real browser: drawn as Streamlit's own element draws the same
figure, updated in place when a rerun changes the figure, with nothing fetched from elsewhere."""

from __future__ import annotations

import os
import textwrap

import pytest

from tests.browser_support import BRING_WAITING, CHROMIUM, browser_page, served_script, wait_for_app, wait_for_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]

#: Three of the dashboard's figures, their data changed by each click on "Next", each drawn twice:
#: by Streamlit's element (first) and by the dashboard's (second).
APP = textwrap.dedent('''
    import polars as pl
    import streamlit as st

    from dashboard import charts

    step = st.session_state.setdefault("step", 0)
    if st.button("Next"):
        step = st.session_state.step = step + 1
    rates = [0.2 + 0.1 * step, 0.5, 0.4 - 0.05 * step]
    trend = pl.DataFrame({"period": ["2026-01", "2026-02", "2026-03"], "participation_rate": rates,
                          "contribution_rate": [0.1, 0.2, 0.15], "active": [2, 5, 4], "contributors": [1, 2, 1],
                          "headcount": [10, 10, 10]})
    groups = pl.DataFrame({"period": ["2026-03"] * 3, "department": ["<b>Sales</b>", "IT", "Legal"],
                           "participation_rate": rates, "headcount": [10, 20, 30]})
    st.write(f"Step {step}")
    for key, fig in (
        ("trend", charts.participation_trend(trend, f"Participation<br>at step {step} &amp; after")),
        ("ranking", charts.ranking(groups, "department", "participation_rate", f"Ranked at step {step}", "Participation")),
        ("heatmap", charts.heatmap(groups, "department", "participation_rate", f"Heat at step {step}")),
    ):
        st.plotly_chart(fig, width="stretch", key="streamlit_" + key)
        charts.draw(fig, key=key)
''')

#: Each chart as plotly holds it: what it was given (data, layout) and what it drew.
DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ({
  data: JSON.parse(JSON.stringify(g.data)),
  layout: JSON.parse(JSON.stringify(g.layout)),
  svg: g.querySelector('.main-svg').outerHTML.length,
  size: [g._fullLayout.width, g._fullLayout.height],
  title: g.querySelector('.gtitle')?.textContent,
  label: g.getAttribute('aria-label'),
  ours: g.classList.contains('ruche-chart'),
}))"""


def unbold(layout: dict) -> dict:
    """The layout with its title out of the bold tags Streamlit's element wraps it in (twice), and
    without the width it may hold (the widths drawn are compared apart)."""
    text = layout["title"]["text"]
    while text.startswith("<b>") and text.endswith("</b>"):
        text = text[3:-4]
    return {**{k: v for k, v in layout.items() if k != "width"}, "title": {**layout["title"], "text": text}}


def test_charts_drawn_as_streamlit_draws_them_and_updated_in_place(tmp_path):
    script = tmp_path / "charts_app.py"
    script.write_text(APP)
    with served_script(script) as url, browser_page() as page:
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        for step in range(3):
            wait_for_app(page, f"Step {step}")
            # Streamlit's charts and ours drawn with this step's figures, the previous run's gone
            page.wait_for_function(f"""() => {{
              if ({BRING_WAITING}) return false;
              const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg'));
              const titles = plots.map(p => p.querySelector('.gtitle')?.textContent || '');
              return plots.length == 6 && titles.every(t => t.includes('at step {step}'));
            }}""", timeout=60_000)
            drawn = page.evaluate(DRAWN)
            theirs, ours = drawn[0::2], drawn[1::2]
            assert [d["ours"] for d in drawn] == [False, True] * 3
            for a, b in zip(theirs, ours):
                assert b["data"] == a["data"]
                assert unbold(b["layout"]) == unbold(a["layout"])
                assert b["layout"]["title"]["text"].startswith("<b>")
                assert (b["size"], b["svg"]) == (a["size"], a["svg"]), b["title"]
                assert b["title"] == a["title"]
            # the accessible name: the title's lines as words
            assert [o["label"] for o in ours] == [f"Participation at step {step} & after", f"Ranked at step {step}",
                                              f"Heat at step {step}"]
            if step == 0:
                # the charts are marked, to find the same elements after the next run
                page.evaluate("() => document.querySelectorAll('.ruche-chart').forEach(c => { c.__seen = true; })")
            else:
                assert page.evaluate("() => [...document.querySelectorAll('.ruche-chart')].map(c => c.__seen === true)") \
                    == [True] * 3, "a chart of the page was drawn anew instead of updated in place"
            page.get_by_role("button", name="Next").click()
        wait_for_charts(page, 6)
        # the element's script runs from a blob Streamlit makes of it; everything else comes from the server
        elsewhere = [r for r in requests if not r.startswith((url + "/", "blob:" + url + "/"))]
        assert requests and not elsewhere, elsewhere
        # plotly.js from the server: the element's own copy, unless Streamlit's chart element
        # beside it (in this page only) put its plotly on the window first, which the element reuses
        reused = page.evaluate("() => !!window.Plotly && !document.querySelector('script[src$=\"/plotly.min.js\"]')")
        assert any(r.endswith("/plotly.min.js") for r in requests) != reused


#: A chart whose figure never changes, one whose figure changes with each click on "Next", and
#: another such below the window (1,000 pixels high in the tests).
BELOW_APP = textwrap.dedent('''
    import plotly.graph_objects as go
    import streamlit as st

    from dashboard import charts

    step = st.session_state.setdefault("step", 0)
    if st.button("Next"):
        step = st.session_state.step = step + 1
    st.write(f"Step {step}")
    charts.draw(go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout=dict(title="Same", height=300)), key="same")
    charts.draw(go.Figure(go.Bar(x=["a", "b"], y=[1, step]), layout=dict(title=f"Moving at step {step}", height=300)),
                key="moving")
    st.container(height=1500, border=False)
    charts.draw(go.Figure(go.Bar(x=["a", "b"], y=[step, 1]), layout=dict(title=f"Below at step {step}")), key="below")
''')

#: Each of the page's charts, in order: drawn or not, what it waits for, hidden or not, its title.
STATES = """() => [...document.querySelectorAll('.ruche-chart')].map(c => ({
  drawn: c.querySelector('.main-svg') !== null,
  pending: c.getAttribute('data-pending'),
  hidden: getComputedStyle(c).visibility === 'hidden',
  title: c.querySelector('.gtitle')?.textContent ?? null,
}))"""


def test_unchanged_figures_left_alone_and_charts_below_drawn_when_in_view(tmp_path):
    script = tmp_path / "below_app.py"
    script.write_text(BELOW_APP)
    with served_script(script) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Step 0")
        page.wait_for_function("() => document.querySelectorAll('.ruche-chart:not([data-pending])').length == 2",
                               timeout=60_000)
        # the chart below the window is not drawn, its place kept
        assert page.evaluate(STATES) == [
            {"drawn": True, "pending": None, "hidden": False, "title": "Same"},
            {"drawn": True, "pending": None, "hidden": False, "title": "Moving at step 0"},
            {"drawn": False, "pending": "waiting", "hidden": False, "title": None},
        ]
        assert page.evaluate("() => document.querySelectorAll('.ruche-chart')[2].getBoundingClientRect().height") == 450
        # the next run gives the first chart the same figure: plotly is not called, nothing in it changes
        page.evaluate("""() => {
          const same = document.querySelector('.ruche-chart');
          window.__changed = 0;
          new MutationObserver(r => { window.__changed += r.length; })
            .observe(same, {subtree: true, childList: true, attributes: true, characterData: true});
        }""")
        page.get_by_role("button", name="Next").click()
        wait_for_app(page, "Step 1")
        page.wait_for_function("() => document.querySelectorAll('.ruche-chart')[1].getAttribute('aria-label') "
                               "=== 'Moving at step 1'", timeout=60_000)
        assert page.evaluate("() => window.__changed") == 0
        # scrolled into view, the chart below draws the latest figure
        wait_for_charts(page, 3)
        assert page.evaluate(STATES)[2] == {"drawn": True, "pending": None, "hidden": False, "title": "Below at step 1"}
        # back at the top, a run changes it: it waits hidden, never showing the older figure
        page.evaluate("() => document.querySelector('.ruche-chart').scrollIntoView()")
        page.get_by_role("button", name="Next").click()
        wait_for_app(page, "Step 2")
        page.wait_for_function("() => document.querySelectorAll('.ruche-chart')[1].getAttribute('aria-label') "
                               "=== 'Moving at step 2'", timeout=60_000)
        assert page.evaluate(STATES)[2] == {"drawn": True, "pending": "waiting", "hidden": True,
                                            "title": "Below at step 1"}
        wait_for_charts(page, 3)
        assert page.evaluate(STATES)[2] == {"drawn": True, "pending": None, "hidden": False, "title": "Below at step 2"}
