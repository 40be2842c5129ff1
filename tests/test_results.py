"""Results precomputed by a load: the same as computed live, and never served once stale."""

from __future__ import annotations

from datetime import date

from polars.testing import assert_frame_equal

from metrics import registry, results, status
from metrics.registry import MetricParams
from ruche import store
from ruche.config import Settings


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
    assert results.lookup(con, "communities", MetricParams(by="site", min_group_size=1)) is None
    # beside the metrics: per grain, the previous teams and the coverage; per attribute, the groups
    assert len(results.current_keys(con)) == done["results"] + 2 * 3 + len(results.BY_CHOICES)
    con.close()
    with store.writing(tiny_store) as con:
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (99, 't', '2026-02-20', 4, 'post', 2)")
    con = store.connect(tiny_store, read_only=True)
    assert results.lookup(con, "participation", MetricParams(by="organisation", min_group_size=1)) is None
