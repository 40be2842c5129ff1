"""The Organisation page (AppTest) on the sample company: the drill-down from the company to a
sub-organisation and below with the figures of the hierarchy measure, a leader found by a hashed
identifier, and a signed-in person's own organisation on the page and on the Overview."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import auth
from dashboard.format import pct
from polars.testing import assert_frame_equal

from metrics import hierarchy, registry, relays
from ruche import store
from tests.drawn import charts as drawn_charts

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
SAMPLE_KEY = "ab" * 32  # the key the sample store was built with
IT_HEAD = "yasmine.brown@example-corp.com"  # heads IT in sample_data/directory.csv (E100296)


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_KEY", SAMPLE_KEY)


def as_role(monkeypatch, role: str, user: str, local: bool = False) -> AppTest:
    monkeypatch.setattr(auth, "current", lambda roles, claim: auth.Access(True, user, role, local))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def view(sample_store, leader: str | None, k: int = 5) -> pl.DataFrame:
    con = store.connect(sample_store, read_only=True)
    try:
        params = registry.MetricParams(by="reports_to", min_group_size=k, extra={"leader": leader} if leader else {})
        rows = registry.get("hierarchy")(con, params).rows
    finally:
        con.close()
    last = rows.filter(~pl.col("partial"))["period"].max()
    return rows.filter(pl.col("period") == last)


def subs_of(frame: pl.DataFrame) -> list[tuple]:
    return frame.filter(pl.col("part") == hierarchy.SUB).select("organisation", "leader").rows()


def test_the_drill_down_opens_a_sub_organisation_then_one_below(monkeypatch, sample_store):
    at = as_role(monkeypatch, "admin", "local", local=True)
    at.switch_page("screens/organisation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    top = view(sample_store, None)
    # the sample's company has one head: its organisation is the whole company
    [(ceo_label, ceo)] = subs_of(top)
    assert at.subheader[0].value == "The company"
    assert {m.label: m.value for m in at.metric}["Participation"] == pct(top["participation_rate"][0])
    at.button(key=f"org_open_{ceo}").click().run()
    assert at.subheader[0].value == ceo_label
    below = view(sample_store, ceo)
    shown = subs_of(below)
    assert len(shown) == 13
    assert [b.label for b in at.button if b.key.startswith("org_open_")] == [f"Open {label}" for label, _ in shown]
    retail_label, retail = next((label, leader) for label, leader in shown if label.startswith("Retail"))
    at.button(key=f"org_open_{retail}").click().run()
    retail_view = view(sample_store, retail)
    whole = retail_view.filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    assert at.subheader[0].value == retail_label
    assert {m.label: m.value for m in at.metric}["Participation"] == pct(whole["participation_rate"])
    assert f"The company › {ceo_label} › {retail_label}" in at.caption[0].value.replace("\\", "")
    # every sub-organisation offered holds at least the floor
    assert all(n >= 10 for n in retail_view["headcount"].to_list())
    at.button(key="org_top").click().run()
    assert at.subheader[0].value == "The company"


def test_an_administrator_opens_a_leader_by_a_hashed_e_mail(monkeypatch, sample_store):
    at = as_role(monkeypatch, "admin", "local", local=True)
    at.switch_page("screens/organisation.py").run()
    at.text_input(key="org_typed").input(IT_HEAD.upper()).run()
    at.button(key="org_find").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value.startswith("IT · ")
    at.text_input(key="org_typed").input("nobody@example-corp.com").run()
    at.button(key="org_find").click().run()
    assert at.warning[0].value == "Nobody in the directory has this e-mail or id."


def test_a_sponsor_sees_their_own_organisation_against_the_company(monkeypatch, sample_store):
    at = as_role(monkeypatch, "sponsor", IT_HEAD)
    it = auth.pseudonym_of(IT_HEAD, "unused")
    con = store.connect(sample_store, read_only=True)
    mine = hierarchy.resolve(con, it)
    con.close()
    own = view(sample_store, mine, k=20).filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    company = view(sample_store, None, k=20).filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    # on the Overview: the organisation and the company, last complete period
    assert "My organisation" in [h.value for h in at.subheader]
    values = {m.label: m.value for m in at.metric}
    assert values[own["organisation"]] == pct(own["participation_rate"])
    assert values["The company"] == pct(company["participation_rate"])
    assert own["organisation"].startswith("IT · ") and own["headcount"] == 76
    # the Organisation page opens on it
    at.switch_page("screens/organisation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == own["organisation"]
    assert not at.text_input  # only an administrator may type an identifier


def test_the_stored_tree_and_its_figures_per_period_are_those_walked_from_the_directory(sample_store):
    con = store.connect(sample_store, read_only=True)
    try:
        assert hierarchy.stored_current(con) and hierarchy.periods_current(con) is not None
        walked = hierarchy.build(con)
        kept = hierarchy.reporting_tree(con)
        assert_frame_equal(kept.links, walked.links)
        assert_frame_equal(kept.ancestors, walked.ancestors)
        first, last = (date.fromisoformat(d) for d in con.execute(
            "select min(period_start)::varchar, max(period_start)::varchar from m_hierarchy_periods "
            "where grain = 'month'").fetchone())
        ranges = [(None, None), (first, None), (last.replace(day=1), None)]
        for period in ("week", "month", "quarter"):
            for start, end in ranges:
                for k in (5, 20):  # the floor stored (10), and a sponsor's larger minimum
                    assert_frame_equal(hierarchy.organisations(con, period, start, end, k),
                                       hierarchy.organisations(con, period, start, end, k, walked))
                assert_frame_equal(relays.teams(con, period, start, end), relays.teams(con, period, start, end, walked))
        # the sample's company has one head: one organisation of level 0, shown, in every month
        orgs = hierarchy.organisations(con, "month", min_group_size=5)
        tops = orgs.filter((pl.col("level") == 0) & pl.col("shown"))
        assert tops["period"].to_list() == orgs["period"].unique(maintain_order=True).to_list()
    finally:
        con.close()


def test_the_page_reads_of_each_view_only_its_rows_and_they_are_those_of_the_whole_range(sample_store, monkeypatch):
    """The dashboard's views by the hierarchy (dashboard.data) read from the stored figures per
    period only the organisations they show, and managers as relays pooled once per grain: the
    rows the whole range's organisations and teams gave, cut to the range, for a drill-down, a
    level and a leader, every grain, both attributions and a sponsor's larger minimum."""
    from dashboard import data
    from metrics.bases import ATTRIBUTIONS
    from metrics.figures import Query

    # the whole range's organisations are never read (the floors of k and of a sponsor's k are
    # stored), the teams never: their sides are pooled in the store
    wholes = []
    monkeypatch.setattr(data, "_organisations", lambda published, period, start, end, k: wholes.append(k) or
                        hierarchy.slice_organisations(hierarchy.organisations(data.cursor(), period, None, None, k),
                                                      period, start, end))
    monkeypatch.setattr(data, "_whole_teams", lambda *args: pytest.fail("every team of the range read"))
    con = store.connect(sample_store, read_only=True)
    try:
        facts = hierarchy.periods_current(con)
        assert facts is not None and facts["floors"] == [10, 20]
        starts = "select distinct period_start::varchar from m_hierarchy_periods where grain = ? order by 1"
        months = [date.fromisoformat(d) for (d,) in con.execute(starts, ["month"]).fetchall()]
        weeks = [date.fromisoformat(d) for (d,) in con.execute(starts, ["week"]).fetchall()]
        heads = ("select p.person_id from m_hierarchy_periods m join people p on p.person_key = m.head_key "
                 "where m.grain = 'month' and m.floor = 10 and m.level = ? and m.shown group by all order by sum(m.headcount) desc")
        [(ceo,)] = con.execute(heads, [0]).fetchall()
        below = [leader for (leader,) in con.execute(heads + " limit 3", [1]).fetchall()]
        month_end = (months[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        spans = {"month": [(None, None), (months[-3], month_end)],
                 "week": [(None, None), (weeks[-13], weeks[-1] + timedelta(days=6))],
                 "quarter": [(None, None)]}
        views = ([("reports_to", {})] + [("reports_to", {"leader": leader}) for leader in [ceo, *below]]
                 + [("hierarchy_level", {"level": level}) for level in (1, 2, 3)])
        for period, ranges in spans.items():
            for start, end in ranges:
                for k in (5, 20):
                    whole = hierarchy.organisations(con, period, None, None, k)
                    orgs = hierarchy.slice_organisations(whole, period, start, end)
                    for by, extra in views:
                        params = registry.MetricParams(by=by, period=period, start=start, end=end, min_group_size=k,
                                                       extra=extra)
                        before = hierarchy.result(con, params, orgs)
                        for attribution in ATTRIBUTIONS:
                            q = Query("hierarchy", by=by, group=extra.get("leader"), period=period, start=start,
                                      end=end, min_group_size=k, extra={"level": extra["level"]} if "level" in extra
                                      else {}, history=True, attribution=attribution)
                            read = data.source().result("hierarchy", q.params)
                            assert_frame_equal(read.rows, before.rows)
                            assert read.suppressed_groups == before.suppressed_groups
                            assert read.extra == before.extra
                    teams = hierarchy.slice_organisations(relays.teams(con, period), period, start, end)
                    params = registry.MetricParams(by="organisation", period=period, start=start, end=end,
                                                   min_group_size=k)
                    before = relays.result(con, params, teams)
                    read = data.source().result("managers-as-relays", params)
                    assert_frame_equal(read.rows.drop("gap_low", "gap_high"), before.rows.drop("gap_low", "gap_high"))
                    assert_frame_equal(read.rows, before.rows, check_exact=False, rel_tol=1e-12)
                    assert read.suppressed_groups == before.suppressed_groups
                    assert read.extra == before.extra
        assert wholes == []
    finally:
        con.close()


def test_a_level_of_many_organisations_draws_the_highest_and_the_lowest(monkeypatch, sample_store):
    import json

    from dashboard import charts
    from dashboard.views import organisation

    at = as_role(monkeypatch, "admin", "local", local=True)
    at.switch_page("screens/organisation.py").run()
    at.selectbox(key="org_level").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(sample_store, read_only=True)
    try:
        rows = registry.get("hierarchy")(con, registry.MetricParams(
            by="hierarchy_level", min_group_size=5, extra={"level": 2})).rows
    finally:
        con.close()
    last = rows.filter(~pl.col("partial"))["period"].max()
    subs = rows.filter((pl.col("period") == last) & (pl.col("part") == hierarchy.SUB))
    assert subs.height == 50  # the sample's N-2 organisations shown in its last complete month
    ordered = subs.sort(["participation_rate", "organisation"], descending=[True, False])
    expected = pl.concat([ordered.head(15), ordered.tail(15)])
    spec = json.loads(drawn_charts(at)["org_levels"])
    assert sorted(spec["data"][0]["y"]) == sorted(charts.safes(expected["organisation"].to_list()))
    assert organisation.MAX_BARS == 30
    assert ("The 15 highest and the 15 lowest of the 50 organisations shown are drawn."
            in [c.value.replace("\\", "") for c in at.caption])


def test_a_level_chart_reads_the_last_periods_and_draws_what_the_whole_range_gives(sample_store):
    """The chart of a level reads its organisations over the range's last two periods only: its
    last complete period's rows are those of the whole range, for every grain, level and floor,
    over the whole range and a range ending earlier."""
    from dashboard import data
    from dashboard.filters import Filters, whole_periods
    from dashboard.views.organisation import last_periods, level_figure

    con = store.connect(sample_store, read_only=True)
    try:
        first, last = con.execute("select min(occurred_at)::date, max(occurred_at)::date from activities").fetchone()
    finally:
        con.close()
    checked = 0
    for period in ("week", "month", "quarter"):
        for lo, hi in [(first, last), whole_periods(period, first, date(2026, 6, 10), first, last)]:
            for k in (5, 20):
                f = Filters(lo, hi, period, "department", None, k, whole_range=(lo, hi) == (first, last),
                            at_end=hi == last)
                assert last_periods(f).start > f.start
                for level in (1, 2, 3):
                    whole = data.figure("hierarchy", f, by="hierarchy_level", group=None, level=level)
                    cut = level_figure(f, level)
                    assert cut.last_period == whole.last_period is not None
                    assert_frame_equal(cut.latest(), whole.latest())
                    checked += cut.latest().height
    # the rows compared: the sample's organisations of each level in each last period, under both floors
    assert checked == 577
