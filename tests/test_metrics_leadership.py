"""Leadership exemplarity and the digital divide: exact rows."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics.leadership import frontline, leadership


def test_levels_rates_and_replies_to_their_threads():
    people = ([person(i, level="executive", department="Board") for i in range(1, 6)]
              + [person(i, level="manager", department="Ops") for i in range(6, 11)]
              + [person(i, level="staff", department="Ops") for i in range(11, 21)])
    activities = [
        act(1, "post", "2026-01-05", thread="t1"), act(11, "reply", "2026-01-06", target=1, thread="t1"),
        act(2, "post", "2026-01-05", thread="t2"), act(2, "reply", "2026-01-06", target=2, thread="t2"),  # self-reply
        act(6, "post", "2026-01-07", thread="t3"), act(12, "reply", "2026-02-01", target=6, thread="t3"),  # answered later
        act(13, "post", "2026-01-08", thread="t4"),
        act(14, "reaction", "2026-01-09", target=13),
    ]
    rows, left_out = leadership(make_store(people, activities))
    # the data runs from 5 January to 1 February: both months are partial
    expected = pl.DataFrame([
        ("2026-01", "executive", 5, 2, 2, 0.4, 0.4, 2, 1, 0.5, 27, True),
        ("2026-01", "manager", 5, 1, 1, 0.2, 0.2, 1, 1, 1.0, 27, True),
        ("2026-01", "staff", 10, 3, 2, 0.3, 0.2, 1, 0, 0.0, 27, True),
        ("2026-02", "executive", 5, 0, 0, 0.0, 0.0, 0, 0, None, 1, True),
        ("2026-02", "manager", 5, 0, 0, 0.0, 0.0, 0, 0, None, 1, True),
        ("2026-02", "staff", 10, 1, 1, 0.1, 0.1, 0, 0, None, 1, True),
    ], schema={"period": pl.Utf8, "level": pl.Utf8, "headcount": pl.Int64, "active": pl.Int64,
               "contributors": pl.Int64, "participation_rate": pl.Float64, "contribution_rate": pl.Float64,
               "threads_started": pl.Int64, "threads_replied": pl.Int64, "replied_share": pl.Float64,
               "days": pl.Int64, "partial": pl.Boolean}, orient="row")
    assert_frame_equal(rows, expected)
    assert left_out == 0


def test_a_small_executive_committee_is_never_shown_alone():
    people = ([person(i, level="executive") for i in range(1, 4)] + [person(i, level="manager") for i in range(4, 10)]
              + [person(i, level="staff") for i in range(10, 40)])
    rows, left_out = leadership(make_store(people, [act(1, "post", "2026-01-05")]))
    assert rows["level"].to_list() == ["staff"]
    assert left_out == 2


def test_levels_within_departments():
    people = ([person(i, level="manager", department="Ops") for i in range(1, 6)]
              + [person(i, level="staff", department="Ops") for i in range(6, 12)]
              + [person(i, level="staff", department="Tax") for i in range(12, 18)])
    rows, left_out = leadership(make_store(people, [act(1, "post", "2026-01-05")]), by="department")
    assert rows.select("department", "level", "headcount", "active").rows() == [
        ("Ops", "manager", 5, 1), ("Ops", "staff", 6, 0), ("Tax", "staff", 6, 0),
    ]


def test_frontline_against_desk():
    people = ([person(i, frontline=True) for i in range(1, 7)] + [person(i, frontline=False) for i in range(7, 12)]
              + [person(i) for i in range(12, 17)])
    activities = [act(1, "read", "2026-01-05"), act(7, "post", "2026-01-05"), act(8, "reply", "2026-01-05"),
                  act(12, "reaction", "2026-01-05")]
    rows, left_out = frontline(make_store(people, activities))
    assert_frame_equal(rows, pl.DataFrame([
        ("2026-01", "(not set)", 5, 1, 0, 0.2, 0.0, 1, True),
        ("2026-01", "desk", 5, 2, 2, 0.4, 0.4, 1, True),
        ("2026-01", "frontline", 6, 1, 0, 1 / 6, 0.0, 1, True),
    ], schema={"period": pl.Utf8, "frontline": pl.Utf8, "headcount": pl.Int64, "active": pl.Int64,
               "contributors": pl.Int64, "participation_rate": pl.Float64, "contribution_rate": pl.Float64,
               "days": pl.Int64, "partial": pl.Boolean},
        orient="row"))
    assert left_out == 0
