"""What a page drew, as the dashboard's tests read it from Streamlit's AppTest."""

from __future__ import annotations


def charts(at) -> dict[str, str]:
    """The page's charts in their order: each slot's key and its figure's JSON, as plotly writes it
    (``dashboard.plot.figure_json``)."""
    return {c.proto.id.rsplit("-", 1)[-1]: c.proto.bytes.decode() for c in at.get("bidi_component")
            if c.proto.component_name == "ruche_chart"}
