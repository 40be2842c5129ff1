"""Profile completeness by group."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import make_store, person

from metrics.profiles import profile_completeness


def test_completeness_averages_each_persons_share_of_six_fields():
    full = dict(has_photo=True, has_title=True, has_location=True, has_about=True, manager_key=99)
    people = (
        [person(1, department="Ops", **full), person(2, department="Ops", has_photo=False),
         person(3, department="Ops", has_title=True, has_location=None),
         person(4, department="Ops", has_photo=True, manager_key=1), person(5, department="Ops"),
         person(6, department="Ops", left_on=date(2025, 12, 31), **full)]   # left: not described
        + [person(i) for i in range(10, 15)]                                 # no department at all
        + [person(20, department="Ops", is_external=True, **full)]          # external: never described
    )
    rows, left_out = profile_completeness(make_store(people), by="department", as_of=date(2026, 1, 15))
    assert_frame_equal(rows, pl.DataFrame([
        ("(not set)", 5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        ("Ops", 5, (6 + 1 + 2 + 3 + 1) / 6 / 5, 0.4, 0.4, 1.0, 0.2, 0.4, 0.2),
    ], schema={"department": pl.Utf8, "people": pl.Int64, "completeness": pl.Float64, "has_photo": pl.Float64,
               "has_title": pl.Float64, "has_department": pl.Float64, "has_location": pl.Float64,
               "has_manager": pl.Float64, "has_about": pl.Float64}, orient="row"))
    assert left_out == 0


def test_small_department_is_left_out():
    people = [person(i, department="Ops") for i in range(1, 8)] + [person(i, department="HR") for i in range(8, 10)]
    rows, left_out = profile_completeness(make_store(people), min_group_size=5, as_of=date(2026, 1, 1))
    # HR (2) is left out, and so is Ops: shown alone, it would give HR away from the total
    assert rows.is_empty() and left_out == 2
