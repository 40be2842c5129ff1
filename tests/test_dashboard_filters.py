"""Every figure follows every filter: the filter matrix.

Each page is driven through Streamlit's AppTest, on the sample company's store, under a matrix of
filter states (every group-by attribute, one group of it, every grain, ranges: the whole range,
a cut one, one period, and ranges whose first or last period the data covers only in part). Each
headline figure and chart reading is checked against the metric computed here with exactly those
parameters (through the registry, live: the dashboard serves most of them from the results the
load stored, or slices them).

The sample's data runs from Saturday 1 November 2025 to Saturday 31 October 2026: no month is
partial, the first and last ISO weeks (2025-W44, 2026-W44) and quarters (2025-Q4, 2026-Q4) are.

Every chart drawn is also checked for repeated tick labels (:func:`tick_labels`).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import titles
from dashboard.format import count, pct, plural, points
from dashboard.words import group_words
from metrics import registry
from ruche import store
from tests.drawn import charts as drawn_charts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
DEMO_CONFIG = ROOT / "dashboard" / "demo.toml"
K = 5
THRESHOLD = -0.5
#: What the sample's data covers only in part, from its first and last day (see above).
PARTIAL = {"week": {"2025-W44", "2026-W44"}, "month": set(), "quarter": {"2025-Q4", "2026-Q4"}}


@dataclass(frozen=True)
class State:
    by: str
    group: str | None
    period: str
    months: tuple[date, date] | None  # the slider's first and last period start; None: whole range
    start: date | None = None  # the range's days, None for the whole range
    end: date | None = None

    def __str__(self) -> str:
        span = "whole" if self.months is None else f"{self.months[0]}..{self.months[1]}"
        return f"{self.by}={self.group or '*'}/{self.period}/{span}"


STATES = [
    State("department", None, "month", None),
    State("department", "Logistics", "month", None),
    State("department", "Engineering", "month", (date(2026, 4, 1), date(2026, 9, 1)),
          date(2026, 4, 1), date(2026, 9, 30)),
    State("site", "Paris", "quarter", None),  # first and last quarters partial
    State("team", "Controlling Paris 3", "month", (date(2026, 1, 1), date(2026, 3, 1)),
          date(2026, 1, 1), date(2026, 3, 31)),  # a cut range
    State("level", "staff", "week", (date(2026, 3, 2), date(2026, 4, 20)), date(2026, 3, 2), date(2026, 4, 26)),
    State("frontline", "frontline", "month", (date(2026, 6, 1), date(2026, 6, 1)),
          date(2026, 6, 1), date(2026, 6, 30)),  # one period
    State("country", "France", "quarter", (date(2026, 10, 1), date(2026, 10, 1)),
          date(2026, 10, 1), date(2026, 10, 31)),  # one period, partial (the last)
    State("department", None, "week", (date(2025, 10, 27), date(2025, 11, 10)),
          date(2025, 11, 1), date(2025, 11, 16)),  # starts with the partial first week
    State("department", None, "quarter", None),  # the organisation, partial first and last quarters
]


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(DEMO_CONFIG))


def compute(db, name: str, s: State, by: str | None = None, end: date | None = None, **extra):
    con = store.connect(db, read_only=True)
    try:
        return registry.get(name)(con, registry.MetricParams(
            by=by or s.by, period=s.period, start=s.start, end=end or s.end, min_group_size=K, extra=extra))
    finally:
        con.close()


def app_in(s: State) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="period").set_value(s.period).run()
    at.sidebar.selectbox(key="by").set_value(s.by).run()
    if s.group:
        at.sidebar.selectbox(key="group").set_value(s.group).run()
    if s.months:
        at.sidebar.select_slider(key=f"range_{s.period}").set_value(s.months).run()
    assert not at.exception, [e.value for e in at.exception]
    f = at.session_state["_filters"]
    assert (f.by, f.group, f.period) == (s.by, s.group, s.period)
    assert (f.whole_range, f.start, f.end) == ((True, date(2025, 11, 1), date(2026, 10, 31)) if s.months is None
                                               else (False, s.start, s.end))
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def values(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption).replace("\\", "")


def charts(at: AppTest) -> dict[str, dict]:
    return {key: json.loads(spec) for key, spec in drawn_charts(at).items()}


def title(spec: dict) -> str:
    return spec["layout"]["title"]["text"]


def complete(frame: pl.DataFrame, s: State) -> pl.DataFrame:
    return frame.filter(~pl.col("period").is_in(list(PARTIAL[s.period]))).sort("period")


def last_and_delta(frame: pl.DataFrame, column: str, s: State) -> tuple[str, str]:
    """The headline as the page must show it: the last complete period's value and its change
    against the complete period before; a range of partial periods only: the last one, no change."""
    frame = frame.filter(pl.col(column).is_not_null()).sort("period")
    if frame.is_empty():
        return "–", ""
    whole = complete(frame, s)
    if whole.is_empty():
        return pct(frame[column][-1]), ""
    delta = points(whole[column][-1] - whole[column][-2]) if whole.height > 1 else ""
    return pct(whole[column][-1]), delta or ""


def in_group(frame: pl.DataFrame, s: State, by: str | None = None) -> pl.DataFrame:
    by = by or s.by
    return frame if s.group is None else frame.filter(pl.col(by) == s.group)


# --- the pages ------------------------------------------------------------------------------


def check_overview(at: AppTest, db, s: State) -> None:
    trend = in_group(compute(db, "participation", s, by="organisation" if s.group is None else s.by).rows, s)
    shown = values(at)
    assert shown["Participation rate"] == last_and_delta(trend, "participation_rate", s)
    assert shown["Contribution rate"] == last_and_delta(trend, "contribution_rate", s)
    rows = complete(trend, s)
    last = (rows if rows.height else trend.sort("period")).row(-1, named=True)
    assert f"headcount {count(last['headcount'])} (people employed in {last['period']})" in captions(at)
    # leaders: executives and managers together, from the levels of the scope
    if s.group is None:
        levels = compute(db, "participation", s, by="level").rows
    else:
        levels = in_group(compute(db, "leaders", s).rows, s)
    leaders = (levels.filter(pl.col("level").is_in(["executive", "manager"])).group_by("period")
               .agg((pl.col("active").sum() / pl.col("headcount").sum()).alias("rate"),
                    pl.col("level").unique().sort().str.join(", ").alias("levels")))
    # a level under the minimum size is left out, and the label says which levels are counted;
    # no change is read between periods that counted other levels
    (label,) = [label for label in shown if label.startswith("Leaders' participation")]
    value, delta = last_and_delta(leaders, "rate", s)
    whole = complete(leaders.filter(pl.col("rate").is_not_null()), s)
    if whole.height:
        counted = whole["levels"][-1]
        assert (label == "Leaders' participation") == (counted == "executive, manager"), (label, counted)
        if whole.height > 1 and whole["levels"][-2] != counted:
            delta = ""
    assert shown[label] == (value, delta)
    # cross-silo share: between the groups of the group-by, or the chosen group's ties leaving it
    per_period = compute(db, "silos", s, per_period=True, silo_threshold=THRESHOLD)
    if s.group is None:
        cross = pl.DataFrame(per_period.extra["periods"]).select("period", "cross_silo_share")
    else:  # E / (E + I) where the metric tells the group's E-I index (not disconnected)
        cross = in_group(per_period.rows, s).select(
            "period", pl.when(pl.col("status") != "disconnected")
            .then(pl.col("external_ties") / (pl.col("internal_ties") + pl.col("external_ties")))
            .alias("cross_silo_share"))
    assert shown["Cross-silo share"] == last_and_delta(cross, "cross_silo_share", s)
    for label in PARTIAL[s.period] & set(trend["period"].to_list()):
        assert f"{label} (partial)" in charts(at)["trend"]["layout"]["xaxis"]["ticktext"]


def check_participation(at: AppTest, db, s: State) -> None:
    frame = in_group(compute(db, "participation", s).rows, s)
    drawn = charts(at)
    rows = complete(frame, s)
    period = (rows if rows.height else frame)["period"].max()
    now = frame.filter(pl.col("period") == period)
    best = now.sort("participation_rate", descending=True).row(0, named=True)
    if s.group is None:  # the leaders and the trailers, ties said as ties
        assert title(drawn["heatmap"]) == f"In {period}, " + titles.leaders(now, s.by, "participation_rate",
                                                                             group_words(s.by))
    else:
        assert title(drawn["heatmap"]) == f"{s.group}: {pct(best['participation_rate'])} in {period}"
    # retention of the scope: the organisation's, or the group's own
    scope = frame if s.group is not None else compute(db, "participation", s, by="organisation").rows
    retained = scope.filter(pl.col("retention").is_not_null())
    if retained.height:
        r = (complete(retained, s) if complete(retained, s).height else retained.sort("period")).row(-1, named=True)
        who = "the organisation" if s.group is None else f"{s.by} {s.group}"
        assert title(drawn["retention"]) == (f"{pct(r['retention'])} of the people of {who} active the period<br>"
                                             f"before {r['period']} came back in it")
        assert drawn["retention"]["data"][0]["y"] == retained.sort("period")["retention"].to_list()
    else:
        assert "retention" not in drawn
    # frontline against desk, and the levels, within the scope (grouped by one of those two
    # attributes, the group is one of its lines)
    fr = compute(db, "participation", s, by="frontline").rows
    lv = compute(db, "participation", s, by="level").rows
    if s.by == "frontline" and s.group is not None:
        fr = fr.filter(pl.col("frontline") == s.group)
    elif s.group is not None:
        fr = in_group(compute(db, "frontline", s).rows, s).drop(s.by)
    if s.by == "level" and s.group is not None:
        lv = lv.filter(pl.col("level") == s.group)
    elif s.group is not None:
        lv = in_group(compute(db, "leadership", s).rows, s).drop(s.by)
    for key, frame_, column in (("frontline", fr, "frontline"), ("levels", lv, "level")):
        if frame_.is_empty():
            assert key not in drawn
            continue
        lines = {t["name"]: t["y"] for t in drawn[key]["data"]}
        expected = {name: part.sort("period")["participation_rate"].to_list()
                    for (name,), part in frame_.group_by([column])}
        assert lines == expected, key


def check_contributors(at: AppTest, db, s: State) -> None:
    result = compute(db, "inequality", s)
    if s.group is None:
        split, figures = result.extra["organisation"], result.extra
    else:
        split = result.rows.filter(pl.col(s.by) == s.group)
        figures = result.extra["groups"].filter(pl.col(s.by) == s.group).row(0, named=True)
    top = split.filter(pl.col("class") == "superuser").row(0, named=True)
    assert values(at) == {
        "Superusers' share of contributions": (pct(top["contributions_share"]), ""),
        "Gini coefficient": (f"{figures['gini']:.2f}", ""),
        "Contributor absence factor": (count(figures["contributor_absence_factor"]), ""),
    }
    assert f"Headcount {count(figures['headcount'])}: the internal people of" in captions(at)


def check_network(at: AppTest, db, s: State) -> None:
    result = compute(db, "silos", s, silo_threshold=THRESHOLD, graph_top=40)
    org = result.extra
    if s.group is None:
        assert values(at) == {
            "Cross-silo share": (pct(org["cross_silo_share"]), ""),
            "Organisation E-I index": (f"{org['ei_index']:+.2f}", ""),
            "Modularity": (f"{org['modularity']:.2f}", ""),
        }
    else:
        g = result.rows.filter(pl.col(s.by) == s.group).row(0, named=True)
        told = g["status"] != "disconnected"
        assert values(at) == {
            "Cross-silo share": (pct(g["external_ties"] / (g["internal_ties"] + g["external_ties"])) if told
                                 else "–", ""),
            "E-I index": (f"{g['ei_index']:+.2f}" if told else "–", ""),
            "Modularity (whole organisation)": (f"{org['modularity']:.2f}", ""),
        }
        assert (f"{s.by.capitalize()} {s.group} over the range: {count(g['internal_ties'])} ties inside, "
                f"{count(g['external_ties'])} with other {group_words(s.by)[1]}"
                + ("." if told else f": too few for its {count(g['headcount'])} people to tell")) in captions(at)
    with_ties = result.rows.filter(pl.col("ei_index").is_not_null())
    silos = with_ties.filter(pl.col("ei_index") < THRESHOLD)
    drawn = charts(at)
    assert title(drawn["graph"]).startswith(f"{silos.height} of {plural(with_ties.height, *group_words(s.by))} with "
                                            "enough ties to tell " + ("is a silo" if silos.height == 1 else "are silos"))
    # the nodes drawn: the organisation's 40 most tied, or the group and the groups it has ties with
    nodes = [t for t in drawn["graph"]["data"] if t.get("mode") == "markers"][0]["text"]
    if s.group is None:
        expected = result.extra["graph"]["nodes"]["group"].to_list()
    else:
        around = compute(db, "group-graph", s, top=40, around=s.group)
        edges = around.rows.filter((pl.col("group_a") == s.group) | (pl.col("group_b") == s.group))
        expected = sorted({s.group, *edges["group_a"].to_list(), *edges["group_b"].to_list()})
        assert [n[s.by] for n in around.extra["nodes"]] == expected
    assert nodes == [html.escape(n, quote=False) for n in expected]  # plotly text, markup escaped


def check_teams(at: AppTest, db, s: State) -> None:
    from metrics.participation import participation_frame

    f = at.session_state["_filters"]
    result = compute(db, "inactive-teams", s, by="team", end=None if f.at_end else f.end)
    flagged = result.rows
    if s.group is not None and s.by != "team":
        # the teams with people in the group over the periods compared
        con = store.connect(db, read_only=True)
        try:
            frame = participation_frame(con, ["team", s.by], s.period, None, result.extra["as_of"])
        finally:
            con.close()
        compared = {result.extra["period"], result.extra["previous_period"]}
        teams = frame.filter((pl.col(s.by) == s.group) & pl.col("period").is_in(list(compared))
                             & (pl.col("headcount") > 0))["team"].unique()
        flagged = flagged.filter(pl.col("team").is_in(teams.implode()))
    elif s.group is not None:
        flagged = flagged.filter(pl.col("team") == s.group)
    if flagged.is_empty():
        assert not at.subheader or "flagged" not in at.subheader[0].value
        assert any("none is flagged" in e.value for e in at.success)
    else:
        n = flagged["team"].n_unique()
        assert at.subheader[0].value == f"{n} team{'s' if n != 1 else ''} flagged"
        # the worklist: one row per team, the most people first, 25 a page, never "None"
        ranked = (flagged.group_by("team").agg(pl.col("headcount").first(), pl.col("department").first())
                  .sort(["headcount", "team"], descending=[True, False]))
        table = at.dataframe[0].value
        assert table["team"].tolist() == ranked["team"].head(25).to_list()
        assert table["department"].tolist() == ranked["department"].head(25).to_list()
        assert table["people"].tolist() == ranked["headcount"].head(25).to_list()
        assert "None" not in set(table["last_contribution"].astype(str)) and table["last_contribution"].notna().all()
        assert f"Teams 1–{min(25, n)} of {n}." in captions(at)


def check_communities(at: AppTest, db, s: State) -> None:
    """The four headlines (every community and thread of the range), and the responsiveness and
    lifecycle readings of the scope (the organisation, or the chosen group)."""
    from dashboard.views.communities import hours
    from metrics.figures import reading

    org = compute(db, "communities", s, by="organisation").extra
    shown = values(at)
    assert shown["Communities"] == (count(org["communities"]), "")
    assert shown["Idle"] == (count(org["idle"]), "")
    assert shown["Median time to first reply"] == (hours(org["first_reply_median_hours"]), "")
    assert shown["Threads unanswered"] == (pct(org["unanswered_share"]), "")
    by = "organisation" if s.group is None else s.by
    drawn = charts(at)
    resp = in_group(compute(db, "responsiveness", s, by=by).rows, s, by)
    r = reading(resp.filter(pl.col("threads") > 0), "unanswered_share", frozenset(PARTIAL[s.period]))
    if r.value is not None:
        assert title(drawn["unanswered"]).startswith(f"{pct(r.value)} of the threads started by ")
        assert f"in {r.period} got no reply" in title(drawn["unanswered"])
    life = in_group(compute(db, "lifecycle", s, by=by).rows, s, by)
    if life.height:
        n = reading(life, "new", frozenset(PARTIAL[s.period]))
        lapsed = reading(life, "lapsed", frozenset(PARTIAL[s.period]))
        assert title(drawn["lifecycle"]).startswith(
            f"{count(n.value)} new and {count(lapsed.value)} lapsed contributors in {n.period}")


def check_people(at: AppTest, db, s: State) -> None:
    """The champions of the range: the group's own first 20 when the group is a department or a
    team (what a champion's row carries), else the organisation's, said so."""
    from metrics.people import champions

    con = store.connect(db, read_only=True)
    try:
        every = champions(con, s.start, s.end, top=10_000)
    finally:
        con.close()
    own = s.group is not None and s.by in ("department", "team")
    expected = (every.filter(pl.col(s.by) == s.group) if own else every).head(20)
    table = at.dataframe[-1].value
    # a person by the short label of its pseudonym (the CSV keeps the whole pseudonym)
    assert table["person"].tolist() == ["person " + p[:8] for p in expected["person_id"].to_list()]
    assert table["contributions"].tolist() == expected["contributions"].to_list()
    if own:
        assert f"Over the range, the first {expected.height} of {s.by} {s.group}." in captions(at)
    elif s.group is not None:
        assert f"every group: the champions carry their department and team only, not their {s.by}" in captions(at)


CHECKS = {"overview": check_overview, "participation": check_participation, "contributors": check_contributors,
          "network": check_network, "communities": check_communities, "teams": check_teams,
          "people": check_people}


# --- tick labels ----------------------------------------------------------------------------


def _format(value: float, spec: str) -> str:
    """The label d3-format gives ``value`` for the formats the charts use ('.0%', '.1f', …)."""
    m = re.fullmatch(r"(,?)\.(\d+)([%f])", spec)
    assert m, f"a tick format this check does not know: {spec!r}"
    digits = int(m.group(2))
    if m.group(3) == "%":
        return f"{100 * value:.{digits}f}%"
    return f"{value:,.{digits}f}" if m.group(1) else f"{value:.{digits}f}"


def tick_labels(axis: dict) -> list[str] | None:
    """The labels of a numeric axis, or None when plotly picks them itself with enough digits.

    A fixed ``tickformat`` on an axis whose range and step plotly picks is what repeats labels
    (a retention axis from 98.6% to 100.2% drew 100%, 100%, 99%, 99%): such an axis must state
    its range and ``dtick``, and the labels those give must differ.
    """
    if axis.get("visible") is False or axis.get("type") == "category":
        return None
    if axis.get("tickmode") == "array":
        return [str(t) for t in axis.get("ticktext") or axis.get("tickvals") or []]
    spec = axis.get("tickformat")
    if not spec:
        return None
    assert "range" in axis and "dtick" in axis, f"tickformat {spec!r} on an axis plotly ranges itself: {axis}"
    lo, hi = axis["range"]
    step = float(axis["dtick"])
    first = int(-(-(lo - 1e-9) // step))
    ticks = [i * step for i in range(first, int((hi + 1e-9) // step) + 1)]
    return [_format(t, spec) for t in ticks]


def repeated_ticks(spec: dict) -> list[str]:
    """The repeated tick labels of a figure's axes and colour bars (empty when none)."""
    axes = [v for k, v in spec["layout"].items() if re.fullmatch(r"[xy]axis\d*", k)]
    # a colour bar spans its trace's zmin..zmax
    axes += [{**t["colorbar"], "range": [t.get("zmin"), t.get("zmax")]} for t in spec["data"] if "colorbar" in t]
    repeated = []
    for axis in axes:
        labels = tick_labels(axis)
        if labels:
            repeated += sorted({x for x in labels if labels.count(x) > 1})
    return repeated


def test_a_fixed_tick_format_on_a_free_axis_is_caught():
    """The old retention chart: '.0%' on an axis plotly cut to the data."""
    with pytest.raises(AssertionError, match="plotly ranges itself"):
        tick_labels({"tickformat": ".0%"})
    assert repeated_ticks({"layout": {"yaxis": {"range": [0.985, 1.0], "dtick": 0.005, "tickformat": ".0%"}},
                           "data": []}) == ["100%"]  # 98%, 99%, 100%, 100%
    assert repeated_ticks({"layout": {"yaxis": {"range": [0, 1.02], "dtick": 0.1, "tickformat": ".0%"}},
                           "data": []}) == []


def test_the_rate_charts_draw_0_to_100_percent_with_distinct_ticks():
    """Retention of 98.6% to 100%: drawn on the whole 0-100% axis, ticks every 10 points."""
    from dashboard import charts as c

    frame = pl.DataFrame({"period": ["2026-01", "2026-02", "2026-03"], "retention": [1.0, 0.986, 0.995],
                          "participation_rate": [0.01, 0.012, 0.011], "contribution_rate": [0.001, 0.002, 0.002],
                          "active": [1, 2, 3], "contributors": [0, 1, 1], "headcount": [100, 100, 100],
                          "site": ["Lyon"] * 3, "level": ["staff"] * 3})
    figures = [c.org_trend(frame, "retention", "t", "Retention"), c.participation_trend(frame, "t"),
               c.compared_lines(frame, "level", "participation_rate", "t", "Rate"),
               c.adoption_curves(frame, "site", {}, "t"), c.ranking(frame.tail(1), "site", "retention", "t", "R"),
               c.heatmap(frame, "site", "participation_rate", "t")]
    for fig in figures:
        spec = json.loads(fig.to_json())
        assert repeated_ticks(spec) == []
        for name, axis in spec["layout"].items():
            if name.endswith("axis") and axis.get("tickformat") == ".0%":
                assert (axis["range"], axis["dtick"]) == ([0, 1.02], 0.1)


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("s", STATES, ids=str)
def test_every_figure_follows_every_filter(sample_store, s):
    at = app_in(s)
    for page, check in CHECKS.items():
        visit(at, page)
        check(at, sample_store, s)
        for key, spec in charts(at).items():
            assert repeated_ticks(spec) == [], (page, key)
            # a partial period on a chart's period axis is marked there
            periods = {p for t in spec["data"] for p in (t.get("x") or []) if isinstance(p, str)}
            for label in PARTIAL[s.period] & periods:
                assert f"{label} (partial)" in spec["layout"]["xaxis"]["ticktext"], (page, key, label)
