"""Personas per group: every persona on a hand-made group, and the External group."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics.personas import personas


def test_each_persona_and_the_external_group():
    people = [person(i, department="Ops") for i in range(1, 9)] + [person(i, is_external=True) for i in range(20, 26)]
    activities = [
        # 1 catalyst: gives 1, receives 3
        act(1, "post", "2026-01-05"),
        act(2, "reply", "2026-01-05", target=1), act(3, "reaction", "2026-01-05", target=1),
        act(20, "reaction", "2026-01-05", target=1),
        # 2 engager: gives 1 reply, receives 1 reaction (from 3)
        act(3, "reaction", "2026-01-06", target=2),
        # 3 responder: gives 2 reactions, receives 0
        # 4 broadcaster: 3 posts, receives 1
        act(4, "post", "2026-01-06"), act(4, "post", "2026-01-06"), act(4, "post", "2026-01-06"),
        act(20, "reply", "2026-01-07", target=4),
        # 5 observer: reads; 6 observer: joins and receives (gives nothing)
        act(5, "read", "2026-01-07"), act(6, "join", "2026-01-07"), act(21, "reaction", "2026-01-07", target=6),
        # 7 and 8: inactive. External: 20 gives 2 receives 0 (responder), 21 gives 1 (responder), 22 reads (observer)
        act(22, "read", "2026-01-07"),
    ]
    rows, left_out = personas(make_store(people, activities), min_group_size=1)
    schema = {"department": pl.Utf8, "persona": pl.Utf8, "people": pl.Int64, "people_share": pl.Float64,
              "headcount": pl.Int64}
    ext, emp = "external, active", "employed in the range"
    assert_frame_equal(rows, pl.DataFrame([
        ("External", "engager", 0, 0.0, 3), ("External", "catalyst", 0, 0.0, 3),
        ("External", "responder", 2, 2 / 3, 3), ("External", "broadcaster", 0, 0.0, 3),
        ("External", "observer", 1, 1 / 3, 3),
        ("Ops", "engager", 1, 0.125, 8), ("Ops", "catalyst", 1, 0.125, 8), ("Ops", "responder", 1, 0.125, 8),
        ("Ops", "broadcaster", 1, 0.125, 8), ("Ops", "observer", 2, 0.25, 8),
    ], schema=schema, orient="row").with_columns(pl.Series("population", [ext] * 5 + [emp] * 5)))
    assert left_out == 0
    rows, left_out = personas(make_store(people, activities), min_group_size=5)
    # External (3) is left out; it is in no internal total, so Ops (8) need not go with it
    assert rows["department"].unique().to_list() == ["Ops"] and left_out == 1


def test_the_organisation_counts_every_employee_the_hidden_groups_included():
    """Tax (2 people) hides, and Ops with it so that Tax cannot be told by difference; the
    organisation's figure still counts all 10 employees, and never the external people."""
    from metrics import registry
    from metrics.registry import MetricParams

    people = ([person(i, department="Ops") for i in range(1, 9)] + [person(30, department="Tax"), person(31, department="Tax")]
              + [person(i, is_external=True) for i in range(20, 26)])
    activities = [
        act(1, "post", "2026-01-05"), act(2, "reply", "2026-01-05", target=1), act(3, "reaction", "2026-01-05", target=1),
        act(20, "reaction", "2026-01-05", target=1), act(3, "reaction", "2026-01-06", target=2),
        act(4, "post", "2026-01-06"), act(4, "post", "2026-01-06"), act(4, "post", "2026-01-06"),
        act(20, "reply", "2026-01-07", target=4), act(5, "read", "2026-01-07"), act(6, "join", "2026-01-07"),
        act(21, "reaction", "2026-01-07", target=6), act(22, "read", "2026-01-07"),
        act(30, "post", "2026-01-08"), act(31, "read", "2026-01-08"),  # Tax: a broadcaster, an observer
    ]
    con = make_store(people, activities)
    result = registry.get("personas")(con, MetricParams(by="department", min_group_size=5))
    assert result.rows.is_empty() and result.suppressed_groups == 3
    assert result.extra["organisation"] == [
        {"persona": "engager", "people": 1, "people_share": 0.1, "headcount": 10},
        {"persona": "catalyst", "people": 1, "people_share": 0.1, "headcount": 10},
        {"persona": "responder", "people": 1, "people_share": 0.1, "headcount": 10},
        {"persona": "broadcaster", "people": 2, "people_share": 0.2, "headcount": 10},
        {"persona": "observer", "people": 3, "people_share": 0.3, "headcount": 10},
    ]
    # fewer employees than the minimum: no organisation figure
    assert registry.get("personas")(con, MetricParams(by="department", min_group_size=11)).extra["organisation"] == []
