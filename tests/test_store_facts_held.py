"""What a store that does not change tells once: its bases' freshness, the first and last days of
its data, the database its cursors use, the lifecycle's stored cohort cells. Held, the figures are
those read afresh at every question."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from polars.testing import assert_frame_equal

from metrics import bases, registry, results, silos
from metrics.population import DATA_DAYS, data_bounds, days_held
from metrics.registry import MetricParams
from ruche import store

from tests.test_results_ranges import RANGES, assert_same

BOUNDS = [(None, None), (date(2026, 3, 1), None), (None, date(2026, 3, 10)), (date(2026, 3, 5), date(2026, 3, 8)),
          (date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), None), (None, date(2025, 1, 1)),
          (date(2026, 3, 10), date(2026, 3, 1))]


@pytest.mark.parametrize("activities", [0, 2])
def test_the_window_cut_to_the_days_held_is_the_window_the_query_cuts(activities):
    con = store.connect(":memory:")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                "select i, 'x', date '2026-03-02' + (18 * (i - 1))::integer, 1, 'post', 1 from range(1, ?::bigint + 1) t(i)", [activities])
    want = [data_bounds(con, start, end) for start, end in BOUNDS]
    with days_held(con):
        assert [data_bounds(con, start, end) for start, end in BOUNDS] == want
    if activities:
        assert want[0] == (date(2026, 3, 2), date(2026, 3, 20))
    else:  # no data: the bounds asked for, as greatest and least pass over the nulls
        assert want[:2] == [(None, None), (date(2026, 3, 1), None)]


def test_the_days_held_are_read_once_and_the_store_not_asked_again():
    con = store.connect(":memory:")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                "values (1, 'x', '2026-03-02', 1, 'post', 1)")
    known: dict = {}
    with days_held(con, known):
        assert data_bounds(con, None, None) == (date(2026, 3, 2), date(2026, 3, 2))
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (2, 'x', '2026-03-09', 1, 'post', 1)")
        # held: what was read, for a store that does not change meanwhile (a published store)
        assert data_bounds(con, None, None) == (date(2026, 3, 2), date(2026, 3, 2))
    assert known == {DATA_DAYS: (date(2026, 3, 2), date(2026, 3, 2))}
    assert data_bounds(con, None, None) == (date(2026, 3, 2), date(2026, 3, 9))


def test_the_cross_silo_totals_read_the_days_held_rather_than_scanning_the_activities(sample_store):
    """Every attribute's groups' totals (the cross-silo share a load stores) read the first and last
    day of the data as held (:func:`metrics.population.held_bounds`), the same figures as read afresh;
    a store held as ending a week earlier is counted up to that day."""
    con = store.connect(sample_store, read_only=True)
    bys = results.BY_CHOICES
    want = {period: silos.totals_by(con, bys, period, None) for period in ("week", None)}
    known: dict = {}
    with days_held(con, known):
        for period, frames in want.items():
            got = silos.totals_by(con, bys, period, None)
            for by in bys:
                assert_frame_equal(got[by], frames[by], check_exact=True)
    first, last = known[DATA_DAYS]
    with days_held(con, {DATA_DAYS: (first, last - timedelta(days=7))}):
        cut = silos.totals_by(con, ["department"], "week", None)["department"]
    weeks = want["week"]["department"]["period"].unique().sort().to_list()
    assert cut["period"].unique().sort().to_list() == weeks[:-1]
    con.close()


def test_the_freshness_given_is_the_one_held():
    con = store.connect(":memory:")
    assert not bases.is_fresh(con)
    with bases.freshness_held(con, True, {}):
        assert bases.is_fresh(con) and bases.sources(con, "month", None, None).materialised
    assert not bases.is_fresh(con)


def test_a_cursor_told_its_database_sees_the_store_as_one_that_asks(sample_store):
    con = store.connect(sample_store, read_only=True)
    told = store.cursor(con, store.database(con))
    asked = store.cursor(con)
    query = "select count(*), max(occurred_at) from activities"
    assert told.execute(query).fetchone() == asked.execute(query).fetchone()
    con.close()


def test_a_range_with_the_stores_facts_held_and_its_stored_cells_given_equals_it_read_afresh(sample_store):
    con = store.connect(sample_store, read_only=True)
    keys = results.current_keys(con)
    fresh, days = bases.is_fresh(con), {}
    assert fresh
    served = 0
    for start, end in RANGES:
        if start is None or end is None:
            continue
        for name, by, period in [("lifecycle", "organisation", "week"), ("lifecycle", "department", "month"),
                                 ("responsiveness", "organisation", "week")]:
            if not results.ranged(con, name, period, start, end):
                continue
            whole = results.lookup(con, name, MetricParams(by=by, period=period, min_group_size=5), keys)
            hidden = results.stored(con, *results.hidden_key(name, by, period, 5, {}), keys=keys)
            want = results.range_result(con, name, by, period, whole, hidden.rows, start, end, 5, {})
            cells = results.stored(con, *results.cells_key(by, {}), keys=keys) if name == "lifecycle" else None
            cur = store.cursor(con)
            with bases.freshness_held(cur, fresh, days):
                got = results.range_result(cur, name, by, period, whole, hidden.rows, start, end, 5, {}, None, cells)
            assert_same(got, want, (name, by, period, start, end))
            assert_same(got, registry.get(name)(con, MetricParams(by=by, period=period, start=start, end=end,
                                                                  min_group_size=5)), (name, by, period, start, end))
            served += 1
    assert served >= 6 and days  # the days of the data read once, for every range after the first
    con.close()
