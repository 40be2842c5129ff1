"""Results precomputed by a load: the same as computed live, and never served once stale."""

from __future__ import annotations

from polars.testing import assert_frame_equal

from metrics import registry, results
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
    # other parameters are not stored: the caller computes them live
    assert results.lookup(con, "participation", MetricParams(by="site", period="week", min_group_size=1)) is None
    assert results.lookup(con, "participation", MetricParams(by="site", min_group_size=5)) is None
    con.close()
    with store.writing(tiny_store) as con:
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (99, 't', '2026-02-20', 4, 'post', 2)")
    con = store.connect(tiny_store, read_only=True)
    assert results.lookup(con, "participation", MetricParams(by="organisation", min_group_size=1)) is None
