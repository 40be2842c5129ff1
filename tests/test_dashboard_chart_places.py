"""The charts of a page keep their place in it from one filter change to the next: Streamlit makes
anew an element whose place moved, and the browser then draws its chart from nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.bench_dashboard import CHANGES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def places(at: AppTest) -> dict[str, tuple[int, ...]]:
    """Each chart's slot and its place in the page: the indexes of the blocks holding it."""
    found = {}

    def walk(node, path):
        for index, child in getattr(node, "children", {}).items():
            if child.type == "bidi_component" and child.proto.component_name == "ruche_chart":
                found[child.proto.id.rsplit("-", 1)[-1]] = path + (index,)
            walk(child, path + (index,))

    walk(at.main, ())
    return found


@pytest.mark.parametrize("page", ["overview", "participation"])
def test_charts_keep_their_place_over_filter_changes(page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"screens/{page}.py").run()
    seen, captions = [places(at)], {len(at.caption)}
    for key, value in CHANGES:
        at.sidebar.selectbox(key=key).set_value(value).run()
        assert not at.exception, [e.value for e in at.exception]
        seen.append(places(at))
        captions.add(len(at.caption))
    # every run drew the page's charts, each where the first run drew it, though other elements
    # came and went
    assert seen[0] and all(s == seen[0] for s in seen), seen
    assert len(captions) > 1
