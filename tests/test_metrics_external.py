"""External collaboration: shares of interactions with external people, and meeting spaces."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics import registry
from metrics.external import external_collaboration, meeting_spaces
from metrics.registry import MetricParams


def store():
    people = ([person(i, department="Ops") for i in range(1, 6)] + [person(i, department="Tax") for i in range(6, 11)]
              + [person(i, is_external=True) for i in (20, 21)])
    activities = [
        act(1, "reply", "2026-01-05", target=6, space=1),     # Ops - Tax
        act(2, "mention", "2026-01-05", target=20, space=1),  # Ops - External
        act(20, "reaction", "2026-01-05", target=7, space=1),  # External - Tax
        act(3, "reply", "2026-01-06", target=4, space=2),     # Ops - Ops
        act(20, "reply", "2026-01-06", target=21, space=2),   # External - External
        act(5, "reply", "2026-01-06", target=5, space=2),     # self-tie: dropped
        act(8, "post", "2026-01-06", space=3), act(9, "post", "2026-01-06", space=3),
        act(10, "post", "2026-01-06", space=3), act(6, "post", "2026-01-06", space=3),
        act(21, "post", "2026-01-07", space=3),
    ]
    con = make_store(people, activities)
    con.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) values "
                "(1, 'x', 'c1', 'partners', 'channel', false), (2, 'x', 'c2', 'deals', 'channel', true), "
                "(3, 'x', 'c3', 'customers', 'group', false)")
    return con


def test_group_interactions_and_their_external_share():
    rows, left_out = external_collaboration(store())
    assert_frame_equal(rows, pl.DataFrame([("Ops", 5, 3, 1, 1 / 3), ("Tax", 5, 2, 1, 0.5)], schema={
        "department": pl.Utf8, "headcount": pl.Int64, "interactions": pl.Int64,
        "external_interactions": pl.Int64, "external_share": pl.Float64}, orient="row"))
    assert left_out == 0


def test_meeting_spaces_hide_private_names_and_small_spaces():
    rows, left_out = meeting_spaces(store(), min_group_size=4)
    assert rows.rows() == [("x", "customers", "group", 4, 1, 5)]
    assert left_out == 2
    rows, _ = meeting_spaces(store(), min_group_size=1)
    assert rows.rows() == [
        ("x", "customers", "group", 4, 1, 5),
        ("x", "(private space)", "channel", 2, 1, 3),
        ("x", "partners", "channel", 2, 1, 3),
    ]


def test_organisation_share_in_the_result():
    result = registry.get("external")(store(), MetricParams(by="department", min_group_size=5))
    assert (result.extra["interactions"], result.extra["external_interactions"]) == (5, 3)
    assert result.extra["external_share"] == 0.6
    assert result.extra["suppressed_spaces"] == 2
