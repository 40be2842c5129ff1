"""The dashboard's chart element: a plotly figure drawn in the page and, when a rerun gives its
slot a new figure, updated in place.

Streamlit's own element (``st.plotly_chart``) names a chart after its figure, so a figure that
changed makes a new element, which plotly draws from nothing (``Plotly.newPlot``), about twice the
work of updating the chart already there (docs/scale.md). This element is named after its slot
(``key``) only: the page keeps the chart and hands plotly the new figure (``Plotly.react``).

It draws what Streamlit's element drew: the figure with the template Streamlit's element gives
plotly in the dashboard's light theme (``frontend/theme.json``, read from a chart it drew;
``tests/test_browser_charts.py`` checks the two agree), the title in bold, as wide as the page's
column, 450 pixels high unless the figure says otherwise. The figure travels as plotly writes it,
less its template (the theme replaces it in the page). plotly.js is the one the ``plotly`` package
ships, served by the dashboard like the element's script and theme: nothing comes from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io
import streamlit as st
from streamlit.components import v1 as components_v1

FRONTEND = Path(__file__).resolve().parent / "frontend"
#: The ``plotly`` package's own copy of plotly.js is there.
PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"


def _served(name: str, path: Path) -> str:
    """The address on the dashboard's server of the directory ``path``, served under ``name``
    (as Streamlit serves a component's files). Registered on every run: the registry belongs to the
    server's runtime, and registering the same directory again changes nothing."""
    served = components_v1.declare_component(name, path=str(path))
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + (base + "/" if base else "") + f"component/{served.name}/"


# The element's own script only imports the one the server serves (once per page) and hands it
# the chart: it is sent with every chart of every run, so it is kept to these few lines.
_LOADER = """
export default async function (args) {
  const {draw} = await import(new URL("%(frontend)splot.js", document.baseURI));
  return draw(args, new URL("%(plotly)splotly.min.js", document.baseURI).href,
              new URL("%(frontend)stheme.json", document.baseURI).href);
}
"""
_element = None


def figure_json(fig: go.Figure) -> str:
    """``fig`` as plotly writes it for the browser (``plotly.io.to_json``), less its template.

    >>> figure_json(go.Figure(go.Bar(x=[1], y=[2]), layout=dict(title="t")))
    '{"data":[{"x":[1],"y":[2],"type":"bar"}],"layout":{"title":{"text":"t"}}}'
    """
    figure = fig.to_dict()
    figure["layout"].pop("template", None)
    return plotly.io.to_json(figure, validate=False)


def show(fig: go.Figure, key: str) -> None:
    """Draw ``fig`` in the page's chart slot ``key``: the chart already there is updated in place."""
    global _element
    urls = {"frontend": _served("chart", FRONTEND), "plotly": _served("plotly", PLOTLY_DIR)}
    if _element is None:
        _element = st.components.v2.component("ruche_chart", js=_LOADER % urls, isolate_styles=False)
    _element(key=key, data=figure_json(fig).encode(), width="stretch", height="content")
