"""The charts as chromium draws them on the sample company: the group graph's labels apart, the
Lorenz curve as wide as its column, a table's columns labelled."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, browser_page, served, wait_for_app, wait_for_charts
from tests.test_browser_dashboard import choose

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]

DEMO_CONFIG = str(Path(__file__).resolve().parents[1] / "dashboard" / "demo.toml")

# the boxes of the group graph's labels as drawn (the text trace's points), and of its nodes
GRAPH_BOXES = """() => {
  const graph = document.querySelectorAll('.js-plotly-plot')[0];
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {labels: [...graph.querySelectorAll('.textpoint text')].map(t => [t.textContent, box(t)]),
          nodes: [...graph.querySelectorAll('.scatterlayer .trace .points path.point')].map(box)};
}"""


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_graph(page, groups: int) -> None:
    drawn = page.evaluate(GRAPH_BOXES)
    labels = drawn["labels"]
    assert len(labels) == groups
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not overlap(box_a, box_b), (a, b, box_a, box_b)
    for name, box in labels:
        for node in drawn["nodes"]:
            # a node's drawn box is its circle's square: a label may touch its corner, not its circle
            inner = [node[0] + 3, node[1] + 3, node[2] - 3, node[3] - 3]
            assert not overlap(box, inner) or (node[2] - node[0]) < 8, (name, box, node)


def test_graph_labels_lorenz_width_and_table_labels_as_drawn(sample_store):
    with served(sample_store, {"RUCHE_CONFIG": DEMO_CONFIG}) as url, browser_page() as page:
        page.goto(url + "/network")
        wait_for_app(page, "Modularity")
        wait_for_charts(page, 3)
        check_graph(page, 16)
        choose(page, "Group by", "team")
        wait_for_app(page, "teams with enough ties")
        wait_for_charts(page, 3)
        check_graph(page, 40)

        page.goto(url + "/contributors")
        wait_for_app(page, "Gini coefficient")
        wait_for_charts(page, 3)
        widths = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
            const area = p.querySelector('.nsewdrag').getBoundingClientRect();
            return [p.querySelector('.gtitle') ? p.querySelector('.gtitle').textContent : '', area.width,
                    p.getBoundingClientRect().width]; })""")
        (_, plot, chart), = [w for w in widths if w[0].startswith("Half of all contributions")]
        # the curve takes its column's width, not what a legend beside it leaves
        assert plot >= 0.75 * chart, (plot, chart)  # the axes titles and ticks take the rest

        page.goto(url + "/data")
        wait_for_app(page, "Rejected rows")
        loads = page.locator("[data-testid='stDataFrame']").nth(1)
        loads.locator("th").first.wait_for(state="attached")
        page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stDataFrame'] .dvn-scroller\").length >= 2")
        said = loads.evaluate("d => [...d.querySelectorAll('th')].map(h => h.textContent.trim())")
        assert said == ["load", "source", "file", "status", "started (UTC)", "seconds", "rows read", "loaded", "rejected",
                        "skipped"]
        # the whole table within the page: nothing to scroll sideways to
        wider = loads.evaluate("d => [...d.querySelectorAll('.dvn-scroller')].map(e => [e.scrollWidth, e.clientWidth])")
        assert wider and all(scroll <= client for scroll, client in wider), wider
