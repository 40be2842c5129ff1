"""The figure layer (metrics/figures.py): a query answered with the rows of its scope and what they
cover, the same figure for every consumer.

A small company: Ops 10 people (team Run 1-5, team Fix 6-10; even ones frontline), Sales 7
(team Deals), Legal 3 (team Law), Tax 6 (team Tax). Its data runs from Monday 5 January to Friday
20 March 2026: January and March are partial, February is the only complete month. Legal (3
people) is under k = 5, and Tax (6, the smallest shown) is hidden with it so that Legal cannot be
told by difference.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics import headlines, registry
from metrics.figures import (Gap, Live, Query, Reading, champions, figure, partial_periods, scope_trend,
                             teams_at_risk, teams_in)
from metrics.registry import MetricParams

COVERS = "people employed in the period · organisation as it was on each day · 2026-01-05 to 2026-03-20 · partial periods: 2026-01, 2026-03 · " \
         "2 groups under 5 people left out"


@pytest.fixture(scope="module")
def con():
    people = ([person(i, department="Ops", team="Run" if i <= 5 else "Fix", frontline=i % 2 == 0,
                      level="manager" if i in (1, 6) else "staff") for i in range(1, 11)]
              + [person(i, department="Sales", team="Deals", frontline=True, level="staff") for i in range(11, 18)]
              + [person(i, department="Legal", team="Law", level="staff") for i in range(18, 21)]
              + [person(i, department="Tax", team="Tax", level="staff") for i in range(21, 27)])
    acts = [act(1, "post", "2026-01-05"), act(18, "post", "2026-03-20")]  # the data's first and last days
    acts += [act(i, "post", "2026-01-12") for i in (2, 3, 6, 7, 11, 12)]
    acts += [act(i, "reply", "2026-02-10", target=1) for i in (1, 2, 3, 4, 11, 12, 13, 14)]
    acts += [act(i, "reaction", "2026-03-02", target=11) for i in (1, 2, 11, 15)]
    return make_store(people, acts)


def test_a_group_s_figure_is_its_rows_of_the_whole_result_with_what_it_covers(con):
    whole = registry.get("participation")(con, MetricParams(min_group_size=5))
    for group in ("Ops", "Sales"):
        fig = figure(Live(con), Query("participation", group=group))
        assert_frame_equal(fig.rows, whole.rows.filter(pl.col("department") == group))
        assert (fig.suppressed_groups, fig.partial, fig.last_period) == (2, {"2026-01", "2026-03"}, "2026-02")
        assert fig.covers == f"department {group} · {COVERS}"
        assert not fig.hidden and fig.wider == ()
    ops = figure(Live(con), Query("participation", group="Ops"))
    assert ops.rows.select("period", "headcount", "active", "contributors").rows() == [
        ("2026-01", 10, 5, 5), ("2026-02", 10, 4, 4), ("2026-03", 10, 2, 0)]
    # the only complete month: no change to read against a partial one
    assert ops.reading("participation_rate") == Reading(0.4, None, "2026-02", False)
    assert ops.latest()["period"].to_list() == ["2026-02"] and ops.previous_period is None
    # Legal under k, Tax hidden with it: no row, whichever consumer asks
    for group in ("Legal", "Tax"):
        hidden = figure(Live(con), Query("participation", group=group))
        assert hidden.hidden and hidden.rows.is_empty() and hidden.last_period is None
    every = figure(Live(con), Query("participation"))
    assert_frame_equal(every.rows, whole.rows)
    assert every.covers == f"the organisation · {COVERS}"
    assert every.ranked("participation_rate")["department"].to_list() == ["Sales", "Ops"]  # 4/7 against 4/10
    # a figure over the range has no period: its rows are its latest
    split = figure(Live(con), Query("personas", group="Ops"))
    assert split.last_period is None and split.latest().height == split.rows.height > 0
    assert set(split.rows["department"].to_list()) == {"Ops"}


def test_the_scope_s_trend_and_the_partial_periods(con):
    org = scope_trend(Live(con), Query("participation"))
    assert org.rows.select("period", "headcount", "active").rows() == [
        ("2026-01", 26, 7), ("2026-02", 26, 8), ("2026-03", 26, 5)]
    assert org.reading("participation_rate") == Reading(8 / 26, None, "2026-02", False)
    ops = scope_trend(Live(con), Query("participation", group="Ops"))
    assert ops.rows["department"].unique().to_list() == ["Ops"]
    assert partial_periods(Live(con), Query("silos")) == (("2026-01", 27), ("2026-03", 20))
    # weeks: the first (5 January is a Monday) is whole, the last one (16-20 March) is not
    assert partial_periods(Live(con), Query("participation", period="week"))[-1] == ("2026-W12", 5)
    # a range of whole months holds no partial period
    assert partial_periods(Live(con), Query("participation", start=date(2026, 2, 1), end=date(2026, 2, 28))) == ()


def test_the_gap_between_two_populations_is_read_in_the_last_complete_period(con):
    fig = figure(Live(con), Query("frontline", group="Ops"))
    assert fig.rows.select("period", "frontline", "headcount", "active").rows() == [
        ("2026-01", "desk", 5, 3), ("2026-01", "frontline", 5, 2), ("2026-02", "desk", 5, 2),
        ("2026-02", "frontline", 5, 2), ("2026-03", "desk", 5, 1), ("2026-03", "frontline", 5, 1)]
    assert fig.gap("frontline", "frontline", "desk") == Gap("2026-02", 0.4, 0.4)
    assert fig.gap("frontline", "frontline", "nobody") is None


def test_the_parameters_that_answer_a_query():
    ranged = {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}
    # the person graph from what the load measured: the whole history, said so
    q = Query("network-communities", **ranged, history=True)
    assert (q.params.start, q.params.end) == (None, None)
    assert Query("network-communities", **ranged).params.start == date(2026, 2, 1)  # computed live over the range
    # the teams at risk are by team whatever the group-by, and take no start
    q = Query("inactive-teams", by="department", group="Ops", **ranged)
    assert (q.params.by, q.params.start, q.params.end) == ("team", None, date(2026, 2, 28))
    # the group graph draws the group's neighbourhood itself
    assert Query("group-graph", group="Ops", extra={"top": 40}).params.extra == {"top": 40, "around": "Ops"}
    assert Query("group-graph", extra={"top": 40}).params.extra == {"top": 40}
    assert Query("participation", by="site", group="Paris").scope == "site Paris"
    assert Query("participation", by="organisation", group="Organisation").scope == "the organisation"


def test_a_figure_wider_than_the_filters_says_what_and_why(con):
    fig = figure(Live(con), Query("network-communities", group="Ops", start=date(2026, 2, 1), history=True))
    assert fig.wider == ("whole history: the person graph is measured once per load, whatever the range",)
    fig = figure(Live(con), Query("organisation-usage", group="Ops"))
    assert fig.wider == ("whole organisation: organisation-usage has no figure per department",)
    assert not fig.narrowed
    fig = figure(Live(con), Query("targets", start=date(2026, 2, 1), extra={"targets": [], "phases": {}}))
    assert fig.wider == ("as of the end of the range: targets compares the last complete periods before it",)


def test_the_teams_at_risk_of_a_group_are_the_teams_with_people_in_it(con):
    assert teams_in(con, "department", "Ops", "month", date(2026, 3, 20)) == ["Fix", "Run"]
    now, before = teams_at_risk(Live(con), Query("inactive-teams", by="department", group="Ops"))
    # as of 20 March, February against January: Run's last contribution is 38 days old. Fix (5
    # people) is hidden with Law (3), so that Law cannot be told: never shown, flagged or not.
    assert now.result.rows.select("team", "rule").rows() == [
        ("Deals", "no_contribution"), ("Run", "no_contribution"), ("Tax", "low_participation"),
        ("Tax", "no_contribution")]
    assert now.rows.select("team", "rule").rows() == [("Run", "no_contribution")]
    assert (now.extra["as_of"], now.extra["period"], now.narrowed, now.hidden) == (date(2026, 3, 20), "2026-02", True, False)
    assert before.extra["as_of"] == date(2026, 1, 31) and before.rows.is_empty()
    one, _ = teams_at_risk(Live(con), Query("inactive-teams", by="team", group="Tax"))
    assert one.rows["rule"].to_list() == ["low_participation", "no_contribution"]


def test_the_champions_of_a_group_are_its_own_first_ones(con):
    sales = champions(Live(con), Query("champions", by="department", group="Sales"), top=3)
    assert sales.rows.select("person_id", "contributions").rows() == [("p11", 2), ("p12", 2), ("p13", 1)]
    assert sales.narrowed and sales.wider == ()
    by_site = champions(Live(con), Query("champions", by="site", group="Paris"), top=3)
    assert by_site.rows.select("person_id", "department").rows() == [("p1", "Ops"), ("p11", "Sales"), ("p12", "Sales")]
    assert by_site.wider == ("whole organisation: a champion's row carries a department and a team, not a site",)


def test_the_headlines_of_a_group(con):
    o = headlines.overview(Live(con), Query("participation", group="Sales"))
    assert o.scope == "department Sales" and o.curves is None
    shown = {h.label: (h.value, h.delta, h.period, h.partial) for h in o.headlines}
    assert shown["Participation rate"] == (4 / 7, None, "2026-02", False)
    assert shown["Contribution rate"] == (4 / 7, None, "2026-02", False)
    assert o.last()["period"] == "2026-02" and o.previous() is None
    org = headlines.overview(Live(con), Query("participation"))
    low, high = org.curves_reading()
    assert (low["department"], high["department"], high["period"]) == ("Ops", "Sales", "2026-02")


def test_a_reading_is_the_last_complete_period_with_a_value_whatever_the_rows_order():
    """:func:`metrics.figures.reading` over rows in any order, with periods without a value, a row
    of no period and partial periods: the last complete period with a value and its change
    against the one before; only partial periods: the last of them, flagged, with no change."""
    from metrics.figures import reading

    rows = pl.DataFrame({"period": ["2026-03", None, "2026-01", "2026-04", "2026-02", "2026-05"],
                         "rate": [0.30, 0.99, 0.10, None, 0.25, 0.50]})
    assert reading(rows, "rate") == Reading(0.50, 0.5 - 0.30, "2026-05", False)
    assert reading(rows, "rate", frozenset({"2026-05"})) == Reading(0.30, 0.30 - 0.25, "2026-03", False)
    assert reading(rows, "rate", frozenset({"2026-05", "2026-03", "2026-02"})) == Reading(0.10, None, "2026-01", False)
    # only partial periods (and the row of no period, never complete): the last in order, flagged
    only = frozenset({"2026-01", "2026-02", "2026-03", "2026-05"})
    assert reading(rows, "rate", only) == Reading(0.50, None, "2026-05", True)
    assert reading(rows.filter(pl.col("period").is_null()), "rate") == Reading(0.99, None, None, True)
    assert reading(rows.filter(pl.col("rate").is_null()), "rate") == Reading(None, None, None)
    counts = pl.DataFrame({"period": ["2026-Q2", "2026-Q1"], "threads": [7, 3]})
    assert reading(counts, "threads") == Reading(7, 4, "2026-Q2", False)
