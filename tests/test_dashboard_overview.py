"""The overview page through Streamlit's AppTest, on stores with hand-known figures."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from tests.drawn import charts as drawn_charts

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(db: Path, min_group_size: int = 5) -> AppTest:
    import os

    os.environ["RUCHE_DB"] = str(db)
    os.environ["RUCHE_MIN_GROUP_SIZE"] = str(min_group_size)
    try:
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
    finally:
        del os.environ["RUCHE_MIN_GROUP_SIZE"]
    assert not at.exception, at.exception
    return at


def metrics_of(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_overview_shows_the_organisation_figures(tiny_store):
    at = run_app(tiny_store)
    assert at.title[0].value == "Overview"
    # January: headcount 11 (1-10 and 12, who left on the 20th), active 1, 2, 7 (13 is a guest);
    # February: headcount 11 (1-11), active 1, 3, 8 (reads only), 9 (joined); contributors 1, 3.
    # Leaders: two managers, under the minimum size. Ties (January only): 2-1 inside Sales,
    # 7-1 Legal-Sales, 13-1 External-Sales: two of three cross a department boundary.
    # The data starts on 5 January: January is partial, so February has no change against it.
    assert metrics_of(at) == {
        "Participation rate": ("36.4%", ""),
        "Contribution rate": ("18.2%", ""),
        "Leaders' participation": ("–", ""),
        "Cross-silo share": ("66.7%", ""),
    }
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert captions[0] == "The organisation · 2026-02 · headcount 11 (people employed in 2026-02), 4 active"
    assert ("Partial period: 2026-01 (27 days of data). Marked on the charts; no headline, "
            "change or trend is read from a partial period.") in captions
    trend = list(drawn_charts(at).values())[0]
    assert '"ticktext":["2026-01 (partial)","2026-02"]' in trend
    assert "Participation is 36.4% in 2026-02" in trend


def test_overview_for_one_group(tiny_store):
    at = run_app(tiny_store)
    at.sidebar.selectbox(key="group").set_value("Sales").run()
    assert not at.exception
    # Sales in February: 6 people, active 1 and 3, both contributors
    assert metrics_of(at)["Participation rate"] == ("33.3%", "")
    assert at.caption[0].value.replace("\\", "") == \
        "Department Sales · 2026-02 · headcount 6 (people employed in 2026-02), 2 active"


def test_a_store_without_activity_shows_the_first_run_page(tmp_path):
    from ruche import store

    db = tmp_path / "empty.duckdb"
    with store.writing(db):
        pass
    at = run_app(db)
    assert at.title[0].value == "Welcome to Ruche"


def test_no_store_at_all_shows_the_first_run_page(tmp_path):
    at = run_app(tmp_path / "missing.duckdb")
    assert at.title[0].value == "Welcome to Ruche"
