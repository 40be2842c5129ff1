"""Targets and phases: actual against the straight line from each target's start."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from tests.test_metrics_fixtures import act, make_store, person

from metrics import registry
from metrics.groups import MetricError
from metrics.registry import MetricParams
from metrics.targets import roadmap


def store(first_day: str = "2026-01-01"):
    """Ops and Tax (10 people each); the data runs from ``first_day`` to 30 April (an external
    person's reads)."""
    people = ([person(i, department="Ops") for i in range(1, 11)] + [person(i, department="Tax") for i in range(11, 21)]
              + [person(99, is_external=True)])
    activities = ([act(99, "read", first_day), act(99, "read", "2026-04-30")]
                  + [act(i, "read", "2026-01-10") for i in (1, 2, 11)]
                  + [act(i, "post", "2026-04-10") for i in (1, 2, 3, 4, 11)] + [act(5, "read", "2026-04-10")])
    return make_store(people, activities)


def test_a_partial_first_period_is_no_baseline():
    """When the data starts on 10 January, January is a partial period: the baseline is February's
    rate (0), the first whole period after the start, not January's 20%."""
    target = {"metric": "participation", "group": "Ops", "value": 0.6, "start": "2026-01-01", "due": "2026-07-01"}
    elapsed = (date(2026, 4, 30) - date(2026, 1, 1)).days
    whole, _, _ = roadmap(store(), [target], end=date(2026, 4, 30))
    cut, _, _ = roadmap(store("2026-01-10"), [target], end=date(2026, 4, 30))
    assert whole["expected"].to_list() == [0.2 + (0.6 - 0.2) * (elapsed / 181)]
    assert cut["expected"].to_list() == [0.0 + (0.6 - 0.0) * (elapsed / 181)]


def test_a_partial_period_is_never_the_one_compared():
    """Data starting on 10 April: on 30 April, April is the last month but holds 21 of its days;
    no whole month is there to compare, so the target has no actual (and no row for '*')."""
    people = [person(i, department="Ops") for i in range(1, 11)]
    con = make_store(people, [act(i, "post", "2026-04-10") for i in range(1, 6)])
    target = {"metric": "participation", "group": "Ops", "value": 0.6, "start": "2026-01-01", "due": "2026-07-01"}
    rows, _, _ = roadmap(con, [target], end=date(2026, 4, 30))
    assert rows.select("period", "actual").rows() == [(None, None)]
    rows, _, _ = roadmap(con, [{**target, "group": "*"}], end=date(2026, 4, 30))
    assert rows.height == 0


def test_actual_against_expected_per_group_with_phases():
    targets = [
        {"metric": "participation", "group": "*", "value": 0.6, "start": date(2026, 1, 1), "due": date(2026, 7, 1)},
        {"metric": "contribution_rate", "group": "Tax", "value": 0.5, "start": "2026-01-01", "due": "2026-12-31",
         "baseline": 0.0},
        {"metric": "participation", "group": "Legal", "value": 0.5, "start": "2026-01-01", "due": "2026-12-31"},
    ]
    rows, left_out, phases = roadmap(store(), targets, {"Ops": "rollout", "Tax": "pilot"}, end=date(2026, 4, 30))
    elapsed = (date(2026, 4, 30) - date(2026, 1, 1)).days
    assert rows.select("target", "metric", "department", "phase", "period", "actual", "expected").rows() == [
        (1, "participation", "Ops", "rollout", "2026-04", 0.5, 0.2 + (0.6 - 0.2) * (elapsed / 181)),
        (1, "participation", "Tax", "pilot", "2026-04", 0.1, 0.1 + (0.6 - 0.1) * (elapsed / 181)),
        (2, "contribution", "Tax", "pilot", "2026-04", 0.1, 0.0 + (0.5 - 0.0) * (elapsed / 364)),
        (3, "participation", "Legal", None, "2026-04", None, 0.0 + (0.5 - 0.0) * (elapsed / 364)),
    ]
    assert rows["on_track"].to_list() == [True, False, False, None]
    assert phases.rows() == [("Ops", "rollout"), ("Tax", "pilot")]
    assert left_out == 0


def test_expected_is_flat_after_the_due_date():
    targets = [{"metric": "participation", "group": "Ops", "value": 0.4, "start": "2025-01-01", "due": "2025-12-31",
                "baseline": 0.1}]
    rows, _, _ = roadmap(store(), targets, end=date(2026, 4, 30))
    assert rows.select("expected", "gap", "on_track").rows() == [(0.4, 0.5 - 0.4, True)]


@pytest.mark.parametrize("bad", [
    {"metric": "reads", "group": "*", "value": 0.5, "start": "2026-01-01", "due": "2026-06-30"},
    {"metric": "participation", "group": "*", "value": 60, "start": "2026-01-01", "due": "2026-06-30"},
    {"metric": "participation", "group": "*", "value": 0.6, "start": "2026-06-30", "due": "2026-01-01"},
    {"metric": "participation", "group": "*", "value": 0.6, "start": "soon", "due": "2026-01-01"},
    {"metric": "participation", "value": 0.6},
])
def test_a_malformed_target_is_refused(bad):
    with pytest.raises(MetricError):
        roadmap(store(), [bad])


def test_an_unknown_phase_is_refused():
    with pytest.raises(MetricError):
        roadmap(store(), [], {"Ops": "launch"})


def test_registry_reads_targets_and_phases_from_params():
    params = MetricParams(by="department", end=date(2026, 4, 30), extra={
        "targets": [{"metric": "participation", "group": "Ops", "value": 0.5, "start": "2026-01-01", "due": "2026-04-30"}],
        "phases": {"Ops": "generalised"},
    })
    result = registry.get("targets")(store(), params)
    assert result.rows.select("department", "phase", "actual", "expected", "on_track").rows() == [
        ("Ops", "generalised", 0.5, 0.5, True)
    ]
    assert isinstance(result.extra["phases"], pl.DataFrame)


def test_targets_from_a_participation_frame_ask_the_store_nothing():
    """From the participation in hand (a load's), the targets read no query: the periods' labels
    are written in Python, and only the periods compared (and each baseline's) are read of the
    frame; the rows are those :func:`roadmap` gives from the store."""
    from metrics.participation import participation_frame
    from metrics.suppression import decide
    from metrics.targets import roadmap_from

    con = store()
    targets = [{"metric": "participation", "group": "*", "value": 0.6, "start": "2026-01-01", "due": "2026-07-01"},
               {"metric": "contribution", "group": "Tax", "value": 0.5, "start": "2026-02-15", "due": "2026-12-31"}]
    frame = participation_frame(con, ["department"], "month", None, date(2026, 4, 30))
    visible, _, hidden = decide(frame, "department", "headcount", 5, within=["period"])
    expected = roadmap(con, targets, {"Ops": "rollout"}, end=date(2026, 4, 30))
    con.close()
    rows, left_out, phases = roadmap_from(con, targets, {"Ops": "rollout"}, "department", "month",
                                          date(2026, 4, 30), visible, hidden)
    assert rows.equals(expected[0]) and left_out == expected[1] and phases.equals(expected[2])
    assert rows.select("department", "period", "actual", "on_track").rows() == [
        ("Ops", "2026-04", 0.5, True), ("Tax", "2026-04", 0.1, False), ("Tax", "2026-04", 0.1, False)]
