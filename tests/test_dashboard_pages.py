"""Every dashboard page through Streamlit's AppTest, on the store built from the sample company.

Each page must run without an exception under the default filters and under changed ones, and
show the figures the metric functions compute for those filters (the metrics themselves are
checked against hand-computed values in tests/test_metrics_*.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.format import count, pct
from metrics import registry
from ruche import store
from tests.drawn import charts as drawn_charts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
DEMO_CONFIG = ROOT / "dashboard" / "demo.toml"
PAGES = ["organisation", "participation", "contributors", "network", "communities", "teams", "loads", "audit", "people"]


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(DEMO_CONFIG))


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compute(sample_store, name: str, **params):
    con = store.connect(sample_store, read_only=True)
    try:
        return registry.get(name)(con, registry.MetricParams(**params))
    finally:
        con.close()


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_page_runs_under_the_default_filters(sample_store):
    at = app()
    assert at.title[0].value == "Overview"
    for page, title in zip(PAGES, ["Organisation", "Participation", "Contributors", "Network", "Communities", "Teams at risk", "Data",
                                   "Audit", "People"]):
        visit(at, page)
        assert at.title[0].value == title


def test_every_page_runs_by_site_for_one_group_by_quarter(sample_store):
    at = app()
    at.sidebar.selectbox(key="by").set_value("site").run()
    at.sidebar.selectbox(key="period").set_value("quarter").run()
    sites = at.sidebar.selectbox(key="group").options
    assert sites[0] == "All groups" and "Paris" in sites
    at.sidebar.selectbox(key="group").set_value("Paris").run()
    assert not at.exception
    paris = compute(sample_store, "participation", by="site", period="quarter").rows.filter(
        pl.col("site") == "Paris").sort("period")
    # the data ends on 31 October: 2026-Q4 is partial, the headline is the last complete quarter's
    last = paris.filter(pl.col("period") == "2026-Q3").row(0, named=True)
    assert metric_values(at)["Participation rate"] == pct(last["participation_rate"])
    for page in PAGES:
        visit(at, page)
        # the filters survive the page switch
        assert at.sidebar.selectbox(key="group").value == "Paris"
        assert at.sidebar.selectbox(key="by").value == "site"


def test_a_range_of_whole_periods_survives_pages_and_grains(sample_store):
    from datetime import date

    at = app()
    months = at.sidebar.select_slider(key="range_month")
    assert months.value == (date(2025, 11, 1), date(2026, 10, 1))  # the whole range, by default
    # 2026-01 to 2026-03 on the Participation page: the figures of the live metric over that range
    months.set_value((date(2026, 1, 1), date(2026, 3, 1))).run()
    visit(at, "participation")
    f = at.session_state["_filters"]
    assert (f.start, f.end, f.whole_range, f.at_end) == (date(2026, 1, 1), date(2026, 3, 31), False, False)
    live = compute(sample_store, "participation", by="department", start=f.start, end=f.end, min_group_size=5).rows
    best = live.filter(pl.col("period") == "2026-03").sort("participation_rate", descending=True).row(0, named=True)
    assert f"In 2026-03, {best['department']} leads at {pct(best['participation_rate'])}" in \
        list(drawn_charts(at).values())[0]
    retention = compute(sample_store, "participation", by="organisation", start=f.start, end=f.end,
                        min_group_size=5).rows.row(-1, named=True)["retention"]
    assert f"{pct(retention)} of the people of the organisation active the period\\u003cbr\\u003ebefore 2026-03 came back" in \
        list(drawn_charts(at).values())[2]
    # by quarter: the same dates widened to whole quarters, kept when the page changes
    at.sidebar.selectbox(key="period").set_value("quarter").run()
    visit(at, "overview")
    quarters = at.sidebar.select_slider(key="range_quarter")
    assert quarters.value == (date(2026, 1, 1), date(2026, 1, 1))
    f = at.session_state["_filters"]
    assert (f.start, f.end) == (date(2026, 1, 1), date(2026, 3, 31))
    # by week: the weeks holding 1 January and 31 March
    at.sidebar.selectbox(key="period").set_value("week").run()
    f = at.session_state["_filters"]
    assert (f.start, f.end) == (date(2025, 12, 29), date(2026, 4, 5))
    assert not at.exception


def test_the_overview_headlines_and_targets(sample_store):
    at = app()
    org = compute(sample_store, "participation", by="organisation").rows.sort("period")
    last, prev = org.row(-1, named=True), org.row(-2, named=True)
    values = metric_values(at)
    assert values["Participation rate"] == pct(last["participation_rate"])
    assert values["Contribution rate"] == pct(last["contribution_rate"])
    leaders = compute(sample_store, "leadership", by="organisation").rows.filter(
        (pl.col("period") == last["period"]) & pl.col("level").is_in(["executive", "manager"]))
    assert values["Leaders' participation"] == pct(leaders["active"].sum() / leaders["headcount"].sum())
    silos = compute(sample_store, "silos", by="department", extra={"per_period": True}).extra["periods"]
    assert values["Cross-silo share"] == pct(silos[-1]["cross_silo_share"])
    delta = {m.label: m.delta for m in at.metric}["Participation rate"]
    assert delta == f"{100 * (last['participation_rate'] - prev['participation_rate']):+.1f} pts"
    targets = compute(sample_store, "targets", by="organisation", extra={
        "targets": [{"metric": "participation", "group": "*", "value": 0.8, "start": "2026-01-01",
                     "due": "2026-12-31"}]}).rows.row(0, named=True)
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert f"Target 80.0% by 2026-12-31: expected {pct(targets['expected'])} in {targets['period']}" in captions


def test_the_contributors_page_shows_the_split(sample_store):
    at = visit(app(), "contributors")
    result = compute(sample_store, "inequality")
    top = result.extra["organisation"].filter(pl.col("class") == "superuser").row(0, named=True)
    assert metric_values(at) == {
        "Superusers' share of contributions": pct(top["contributions_share"]),
        "Gini coefficient": f"{result.extra['gini']:.2f}",
        "Contributor absence factor": count(result.extra["contributor_absence_factor"]),
    }


def test_the_network_page_shows_the_organisation_figures(sample_store):
    at = visit(app(), "network")
    org = compute(sample_store, "silos").extra
    assert metric_values(at) == {
        "Cross-silo share": pct(org["cross_silo_share"]),
        "Organisation E-I index": f"{org['ei_index']:+.2f}",
        "Modularity": f"{org['modularity']:.2f}",
    }
    # the communities say how recent they are: computed by the load, from the data up to its last day
    from dashboard.format import md

    communities = compute(sample_store, "network-communities").extra
    assert [c.value for c in at.caption if "communities over the whole history" in c.value][0].startswith(md(
        f"{communities['communities']} communities over the whole history and the whole organisation, whatever "
        f"the period range (computed on {communities['computed_at'][:10]} from data up to 2026-10-31);"))
    # which organisation each figure counts: the silos each tie in the groups of its day, the
    # communities each person in the group of the graph's last day; or today's, when asked
    covers = [c.value.replace("\\", "") for c in at.caption if c.value.startswith("Covers")]
    assert len(covers) == 2
    assert "organisation as it was on each day" in covers[0].split(" · ")
    assert covers[1] == "Covers: the organisation · organisation as it was on 2026-10-31."
    at.sidebar.radio(key="attribution").set_value("today").run()
    assert not at.exception, [e.value for e in at.exception]
    covers = [c.value.replace("\\", "") for c in at.caption if c.value.startswith("Covers")]
    assert len(covers) == 2 and all("today's organisation" in c for c in covers)
    today = compute(sample_store, "silos", extra={"attribution": "today"}).extra
    assert metric_values(at)["Cross-silo share"] == pct(today["cross_silo_share"]) != pct(org["cross_silo_share"])


def test_the_teams_page_is_a_worklist(sample_store):
    at = visit(app(), "teams")
    flagged = compute(sample_store, "inactive-teams", by="team").rows
    assert at.subheader[0].value == "63 teams flagged" and flagged["team"].n_unique() == 63
    table = at.dataframe[0].value
    # the teams holding the most people first, 25 a page, department beside team
    assert table.shape == (25, 8) and table["people"].tolist() == sorted(table["people"], reverse=True)
    assert table.iloc[0][["team", "department", "people", "last_contribution"]].tolist() == [
        "Store Barcelona 2", "Retail", 19, "never"]
    at.number_input(key="teams_page").set_value(3).run()
    assert at.dataframe[0].value.shape[0] == 13
    assert "Teams 51–63 of 63." in " ".join(c.value for c in at.caption)
    # the two teams of the sample that went silent in August: both rules, in plain words, since when
    at.text_input(key="teams_search").set_value("controlling paris 3").run()
    row = at.dataframe[0].value.iloc[0]
    assert (row["team"], row["department"], row["why"], str(row["flagged_since"])[:10], row["last_contribution"]) == (
        "Controlling Paris 3", "Finance",
        "fewer than 20% of its people took part in the last complete period; nobody in it posted or replied "
        "for 30 days or more", "2026-08-01", "2026-07-31")
    # one row per team that changed since the period before
    changes = at.dataframe[1].value
    assert changes["team"].is_unique


def test_the_communities_page(sample_store):
    at = visit(app(), "communities")
    assert metric_values(at) == {"Communities": "63", "Idle": "2", "Median time to first reply": "25.3 h",
                                 "Threads unanswered": "68.0%"}
    table = at.dataframe[0].value
    assert table.shape[0] == 56 and table.iloc[0]["community"] == "random"
    assert "private conversations (pooled)" in set(table["community"])
    assert not set(table["kind"]) & {"direct", "private-channel"}


def test_the_communities_page_computes_its_contributors_while_its_communities(sample_store, monkeypatch):
    """The contributors' lifecycle (a parallel fragment) is under way before the communities are
    asked for, and shown below them: the communities wait here for it to start, which a page
    computing one after the other never lets happen."""
    import threading

    from dashboard import data

    started, waited = threading.Event(), []
    figure, scope_trend = data.figure, data.scope_trend

    def lifecycle_first(name, f, **extra):
        if name == "lifecycle":
            started.set()
        return scope_trend(name, f, **extra)

    def after_it(name, f, *args, **extra):
        if name == "communities":
            waited.append(started.wait(timeout=60))
        return figure(name, f, *args, **extra)

    at = app()
    monkeypatch.setattr(data, "scope_trend", lifecycle_first)
    monkeypatch.setattr(data, "figure", after_it)
    visit(at, "communities")
    assert waited == [True]
    assert [s.value for s in at.subheader] == [
        "Every community", "Idle communities", "Responsiveness", "Contributors: new, returning, lapsed",
        "Onboarding funnel", "Cohorts by month of arrival"]
    assert list(drawn_charts(at)) == ["first_reply", "unanswered", "lifecycle", "funnel", "cohorts"]


def test_the_data_page_lists_every_load(sample_store):
    at = visit(app(), "loads")
    runs = at.dataframe[1].value
    assert len(runs) == len(list((ROOT / "sample_data").glob("*.csv"))) + 2
    assert set(runs["status"]) == {"loaded"}
    assert metric_values(at)["Last activity"] == "2026-10-31"


def test_the_overview_of_one_group_shows_its_leaders_and_targets_over_any_range(sample_store):
    """The leaders' participation and the targets of a group, read from what the load stored
    (or derived from it), are those of the live metrics, over the whole range and one ending
    before the data."""
    from datetime import date

    from dashboard.summary import target_line
    from metrics.figures import Live, Query
    from metrics.headlines import target

    settings = {"targets": [dict(t) for t in registry_settings().targets], "phases": registry_settings().phases}
    at = app()
    at.sidebar.selectbox(key="by").set_value("site").run()
    at.sidebar.selectbox(key="group").set_value("Paris").run()
    for months in (None, (date(2025, 12, 1), date(2026, 5, 1))):
        if months:
            at.sidebar.select_slider(key="range_month").set_value(months).run()
        assert not at.exception
        f = at.session_state["_filters"]
        span = {} if f.whole_range else {"start": f.start, "end": f.end}
        leaders = compute(sample_store, "leadership", by="site", min_group_size=5, **span).rows.filter(
            (pl.col("site") == "Paris") & pl.col("level").is_in(["executive", "manager"]))
        last = leaders.filter(pl.col("period") == leaders["period"].max())
        assert leaders.height > 0
        assert metric_values(at)["Leaders' participation"] == pct(last["active"].sum() / last["headcount"].sum())

        con = store.connect(sample_store, read_only=True)
        try:  # computed live, through the registry
            query = Query("participation", by="site", group="Paris", end=span.get("end"), min_group_size=5)
            lines = [target_line(target(Live(con), query, m, settings["targets"], settings["phases"]))
                     for m in ("participation", "contribution")]
        finally:
            con.close()
        assert all(lines) and "expected" in lines[0]
        captions = " ".join(c.value for c in at.caption).replace("\\", "")
        assert all(line in captions for line in lines), (lines, captions)


def registry_settings():
    from ruche.config import Settings

    return Settings.load(str(DEMO_CONFIG), env={})


def test_the_participation_page_of_one_group_reads_its_levels_and_frontline_as_the_load_stored_them(
        sample_store, monkeypatch):
    """Once a group is chosen, the levels and the frontline inside it are read from the results
    the load stored (cut for a range of whole periods), not computed live: the same lines as the
    live ``leadership`` and ``frontline`` of the group."""
    from datetime import date
    import json

    live = {name: compute(sample_store, name, by="department", min_group_size=5) for name in ("leadership", "frontline")}
    ranged = {name: compute(sample_store, name, by="department", min_group_size=5, start=date(2026, 2, 1),
                            end=date(2026, 7, 31)) for name in ("leadership", "frontline")}

    def computed_live(con, params):
        raise AssertionError("computed live")

    for name in ("leadership", "levels", "frontline"):
        monkeypatch.setitem(registry.METRICS, name, (computed_live, registry.METRICS[name][1]))
    at = visit(app(), "participation")
    at.sidebar.selectbox(key="by").set_value("department").run()
    at.sidebar.selectbox(key="group").set_value("Maintenance & Quality").run()
    for months, found in ((None, live), ((date(2026, 2, 1), date(2026, 7, 1)), ranged)):
        if months:
            at.sidebar.select_slider(key="range_month").set_value(months).run()
        assert not at.exception, [e.value for e in at.exception]
        drawn = {key: json.loads(spec) for key, spec in drawn_charts(at).items()}
        for key, name, column in (("levels", "leadership", "level"), ("frontline", "frontline", "frontline")):
            rows = found[name].rows.filter(pl.col("department") == "Maintenance & Quality")
            want = {value: part.sort("period")["participation_rate"].to_list()
                    for (value,), part in rows.group_by([column])}
            assert {t["name"]: t["y"] for t in drawn[key]["data"]} == want, (key, months)
            # the department from May 2026: six months, three of them in the range
            assert sorted(want) == (["desk", "frontline"] if key == "frontline" else ["manager", "staff"])
            assert {len(y) for y in want.values()} == {6 if months is None else 3}


def test_a_person_graph_refused_is_said_on_the_network_and_people_pages(sample_store, monkeypatch):
    """A person graph refused for its memory (a million people under memory_limit: the refresh
    stores none, and the page's own computation is refused the same way) is said where its figures
    would be, the rest of the page drawn: no traceback."""
    from dashboard import data
    from metrics.groups import MetricError

    why = "the person graph of 651,383 people and 39,263,814 ties needs about 16.1 GB of memory beside DuckDB"
    figure = data.figure

    def refused(name, f, *args, **extra):
        if name in ("network-communities", "bridges"):
            raise MetricError(why)
        return figure(name, f, *args, **extra)

    at = app()
    monkeypatch.setattr(data, "figure", refused)
    visit(at, "network")
    assert [i.value for i in at.info] == [f"Not computed: {why}"]
    assert "Informal communities against the organisation chart" in [s.value for s in at.subheader]
    visit(at, "people")
    assert [i.value for i in at.info] == [f"Not computed: {why}"]
    assert [s.value for s in at.subheader][:2] == ["Boundary spanners", "Champions"]
