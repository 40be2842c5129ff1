"""The 90/9/1 split, Gini, contributor absence factor and Lorenz curve on known distributions."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics import registry
from metrics.inequality import inequality, lorenz_curve
from metrics.materialise import refresh
from metrics.registry import MetricParams

SPLIT = {"department": pl.Utf8, "class": pl.Utf8, "people": pl.Int64, "people_share": pl.Float64,
         "contributions": pl.Int64, "contributions_share": pl.Float64}


def split(rows):
    return pl.DataFrame(rows, schema=SPLIT, orient="row")


def posts(who, n, day="2026-01-05"):
    return [act(who, "post", f"{day} 10:00") for _ in range(n)]


def nielsen(reads=True):
    """100 people: one posts 50 times, nine post 5 times, ninety only read (or do nothing)."""
    activities = posts(1, 50)
    for who in range(2, 11):
        activities += posts(who, 5)
    if reads:
        activities += [act(who, "read", "2026-01-06") for who in range(11, 101)]
    return make_store([person(i, department="Ops") for i in range(1, 101)], activities)


def gini(values):
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    return 2 * sum(i * x for i, x in enumerate(ordered, start=1)) / (n * total) - (n + 1) / n


def test_a_known_1_9_90_split():
    rows, figures, left_out = inequality(nielsen(), by="department")
    assert_frame_equal(rows, split([
        ("Ops", "superuser", 1, 0.01, 50, 50 / 95),
        ("Ops", "contributor", 9, 0.09, 45, 45 / 95),
        ("Ops", "lurker", 90, 0.9, 0, 0.0),
        ("Ops", "inactive", 0, 0.0, 0, 0.0),
    ]))
    assert figures.rows() == [("Ops", 100, gini([50] + [5] * 9 + [0] * 90), 1)]
    assert gini([50] + [5] * 9 + [0] * 90) == 2 * 9275 / 9500 - 1.01
    assert left_out == 0


def test_no_reads_known_merges_lurkers_and_inactive_and_says_so():
    con = nielsen(reads=False)
    rows, _, _ = inequality(con, by="department")
    assert_frame_equal(rows, split([
        ("Ops", "superuser", 1, 0.01, 50, 50 / 95),
        ("Ops", "contributor", 9, 0.09, 45, 45 / 95),
        ("Ops", "non-contributor", 90, 0.9, 0, 0.0),
    ]))
    result = registry.get("inequality")(con, MetricParams(by="department"))
    assert result.extra["reads_known"] is False
    assert result.extra["note"] == "no source reports reads: people who only read are counted as inactive"


def test_ties_at_the_top_one_percent_are_all_superusers():
    # 200 people: the top 1% is 2 people, but three are tied at the second count
    activities = posts(1, 10) + posts(2, 10) + posts(3, 10) + posts(4, 9)
    con = make_store([person(i, department="Ops") for i in range(1, 201)], activities)
    rows, _, _ = inequality(con, by="department")
    assert rows.select("class", "people", "contributions").rows() == [
        ("superuser", 3, 30), ("contributor", 1, 9), ("non-contributor", 196, 0),
    ]


def test_one_percent_of_700_is_7_not_8():
    activities = [a for rank in range(1, 9) for a in posts(rank, 101 - rank)]
    con = make_store([person(i, department="Ops") for i in range(1, 701)], activities)
    rows, _, _ = inequality(con, by="department")
    assert rows.filter(pl.col("class") == "superuser")["people"].item() == 7


def test_threshold_is_at_least_one_contribution():
    # 300 people, top 1% = 3, but only two contribute: c* is 1, both are superusers
    con = make_store([person(i, department="Ops") for i in range(1, 301)], posts(1, 4) + posts(2, 1))
    rows, figures, _ = inequality(con, by="department")
    assert rows.select("class", "people").rows() == [
        ("superuser", 2), ("contributor", 0), ("non-contributor", 298),
    ]
    assert figures["contributor_absence_factor"].item() == 1


def test_group_without_contributions_and_group_without_people_in_range():
    people = ([person(i, department="Ops") for i in range(1, 6)] + [person(i, department="Quiet") for i in range(6, 11)]
              + [person(i, department="Gone", left_on=date(2025, 6, 30)) for i in range(11, 16)])
    con = make_store(people, posts(1, 3) + posts(2, 1) + [act(6, "read", "2026-01-07")])
    rows, figures, left_out = inequality(con, by="department")
    assert_frame_equal(rows, split([
        ("Ops", "superuser", 1, 0.2, 3, 0.75),
        ("Ops", "contributor", 1, 0.2, 1, 0.25),
        ("Ops", "lurker", 0, 0.0, 0, 0.0),
        ("Ops", "inactive", 3, 0.6, 0, 0.0),
        ("Quiet", "superuser", 0, 0.0, 0, None),
        ("Quiet", "contributor", 0, 0.0, 0, None),
        ("Quiet", "lurker", 1, 0.2, 0, None),
        ("Quiet", "inactive", 4, 0.8, 0, None),
    ]))
    assert figures.rows() == [("Ops", 5, gini([3, 1, 0, 0, 0]), 1), ("Quiet", 5, None, None)]
    assert left_out == 0


def test_small_group_and_its_sibling_are_left_out_but_the_organisation_is_shown():
    people = [person(i, department="Big") for i in range(1, 11)] + [person(i, department="Small") for i in range(11, 14)]
    con = make_store(people, posts(1, 2) + posts(11, 1))
    result = registry.get("inequality")(con, MetricParams(by="department"))
    assert result.rows.is_empty() and result.suppressed_groups == 2
    assert result.extra["headcount"] == 13
    assert result.extra["organisation"].select("class", "people", "contributions").rows() == [
        ("superuser", 1, 2), ("contributor", 1, 1), ("non-contributor", 11, 0),
    ]
    assert result.extra["gini"] == gini([2, 1] + [0] * 11)
    assert result.extra["contributor_absence_factor"] == 1


def test_lorenz_curve_every_person_up_to_100_then_percentiles():
    con = make_store([person(i) for i in range(1, 5)], posts(1, 3) + posts(2, 1))
    assert lorenz_curve(con).rows() == [(0.0, 0.0), (0.25, 0.0), (0.5, 0.0), (0.75, 0.25), (1.0, 1.0)]
    big = lorenz_curve(nielsen())
    assert big.height == 101
    assert big.row(91) == (0.91, 5 / 95) and big.row(100) == (1.0, 1.0)
    con = make_store([person(i) for i in range(1, 401)], posts(1, 1))
    curve = lorenz_curve(con)
    assert curve.height == 101 and curve.row(1) == (0.01, 0.0) and curve.row(100) == (1.0, 1.0)


def test_lorenz_curve_without_contributions_is_the_origin_only():
    con = make_store([person(1)], [act(1, "read", "2026-01-05")])
    assert lorenz_curve(con).rows() == [(0.0, 0.0)]


def test_materialised_and_on_the_fly_agree_on_a_cut_range():
    con = nielsen()
    expected = inequality(con, by="department", start=date(2026, 1, 6), end=date(2026, 1, 6))
    refresh(con)
    got = inequality(con, by="department", start=date(2026, 1, 6), end=date(2026, 1, 6))
    assert_frame_equal(got[0], expected[0])
    assert got[0].select("class", "people").rows() == [
        ("superuser", 0), ("contributor", 0), ("lurker", 90), ("inactive", 10),
    ]
