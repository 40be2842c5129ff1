"""Results precomputed by a load: the same as computed live, and never served once stale."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from metrics import registry, results, status
from metrics.people import champions
from metrics.registry import MetricParams
from ruche import store
from ruche.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_stored_results_equal_live_ones_and_go_stale_with_the_next_load(tiny_store):
    settings = Settings.load(None, env={}, min_group_size=1)
    with store.writing(tiny_store) as con:
        done = results.precompute(con, settings)
    assert done["results"] == len(results.default_calls(settings))
    con = store.connect(tiny_store, read_only=True)
    for name, by, period, extra in results.default_calls(settings):
        params = MetricParams(by=by, period=period, min_group_size=1, extra=extra)
        stored = results.lookup(con, name, params)
        live = registry.get(name)(con, params)
        assert stored is not None, (name, by, extra)
        assert_frame_equal(stored.rows, live.rows)
        assert stored.suppressed_groups == live.suppressed_groups
        assert stored.extra.keys() == live.extra.keys()
    # a metric that ignores the grain is stored once, found under every grain
    for name, extra in (("inequality", {}), ("personas", {}), ("group-graph", {}),
                        ("silos", {"silo_threshold": settings.silo_threshold})):
        params = MetricParams(by="site", period="week", min_group_size=1, extra=extra)
        assert_frame_equal(results.lookup(con, name, params).rows, registry.get(name)(con, params).rows)
    # the teams flagged at the end of the previous period, the sidebar's groups, the coverage
    teams = results.lookup(con, "inactive-teams", MetricParams(by="team", period="week", min_group_size=1))
    params = MetricParams(by="team", period="week", min_group_size=1,
                          end=results.previous_as_of("week", teams.extra["as_of"]))
    assert_frame_equal(results.lookup(con, "inactive-teams", params).rows,
                       registry.get("inactive-teams")(con, params).rows)
    site = registry.get("participation")(con, MetricParams(by="site", min_group_size=1)).rows
    assert results.stored(con, "groups", "site", "month", 1, {}).rows["site"].to_list() == sorted(set(site["site"]))
    for period in ("week", "month", "quarter"):
        assert_frame_equal(results.stored(con, "coverage", "source", period, 0, {}).rows, status.coverage(con, period))
    # other parameters are not stored: the caller computes them live
    assert results.lookup(con, "participation", MetricParams(by="site", start=date(2026, 1, 1), min_group_size=1)) is None
    assert results.lookup(con, "participation", MetricParams(by="site", min_group_size=5)) is None
    assert results.lookup(con, "leadership", MetricParams(by="site", min_group_size=1)) is None
    assert_frame_equal(results.stored(con, "champions", "person", "month", 0, {}).rows, champions(con))
    # beside the metrics: per grain, the previous teams, the coverage and the groups left out in
    # each period by participation (every attribute and the organisation) and the silos; per
    # attribute, the groups; the champions
    assert len(results.current_keys(con)) == (done["results"] + 2 * 3 + 3 * (2 * len(results.BY_CHOICES) + 1)
                                              + len(results.BY_CHOICES) + 1)
    con.close()
    with store.writing(tiny_store) as con:
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (99, 't', '2026-02-20', 4, 'post', 2)")
    con = store.connect(tiny_store, read_only=True)
    assert results.lookup(con, "participation", MetricParams(by="organisation", min_group_size=1)) is None


def test_a_range_of_whole_periods_sliced_from_the_stored_results_equals_the_live_metric(sample_store):
    from dashboard.filters import periods, whole_periods

    con = store.connect(sample_store, read_only=True)
    state = status.status(con)  # the sidebar's bounds
    first, last = state["first_activity"].date(), state["last_activity"].date()
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    keys = results.current_keys(con)
    sliced = 0
    for name, by, period, extra in results.default_calls(settings):
        starts = periods(period, first, last)
        # the first periods, the middle, the last ones, one period: as the sidebar snaps them
        for lo, hi in ((starts[0], starts[2]), (starts[1], starts[-2]), (starts[3], starts[-1]),
                       (starts[-1], starts[-1]), (starts[4], starts[4])):
            start, end = whole_periods(period, lo, hi, first, last)
            if not results.sliceable(name, extra):
                continue
            params = MetricParams(by=by, period=period, min_group_size=settings.min_group_size, extra=extra)
            whole = results.lookup(con, name, params, keys)
            hidden = results.stored(con, *results.hidden_key(name, by, period, settings.min_group_size, extra),
                                    keys=keys)
            got = results.slice_result(name, by, period, whole, hidden.rows, start, end)
            live = registry.get(name)(con, MetricParams(by=by, period=period, start=start, end=end,
                                                        min_group_size=settings.min_group_size, extra=extra))
            assert_frame_equal(got.rows, live.rows), (name, by, period, start, end)
            assert got.suppressed_groups == live.suppressed_groups, (name, by, period, start, end)
            # the per-period figures as frames: sums of floats agree to the last bits, in any order
            assert got.extra.keys() == live.extra.keys()
            for k, value in live.extra.items():
                if k == "periods":
                    assert_frame_equal(pl.DataFrame(got.extra[k]), pl.DataFrame(value))
                else:
                    assert got.extra[k] == value, (name, by, period, start, end, k)
            sliced += 1
    # participation and silos per period of 6 attributes and 3 grains, participation of the
    # organisation per grain
    assert sliced == 3 * (2 * 6 + 1) * 5
    con.close()
