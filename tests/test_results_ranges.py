"""Communities, responsiveness and the contributors' lifecycle over any range, from what the load
stored (the posts of each thread with their first reply, the activities per space and day, the
whole range's results), equal to their computation from the activities."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import bases, registry, results, status
from metrics.registry import MetricParams
from ruche import store
from ruche.config import Settings

ROOT = Path(__file__).resolve().parents[1]

#: Whole months, cut months, weeks, one day, open ends (the sample's data: November 2025 to October 2026).
RANGES = [(None, None), (date(2026, 8, 1), date(2026, 8, 31)), (date(2026, 5, 1), date(2026, 9, 30)),
          (date(2026, 8, 10), date(2026, 9, 20)), (date(2026, 9, 7), date(2026, 10, 4)),
          (date(2026, 10, 12), date(2026, 10, 18)), (date(2026, 10, 14), date(2026, 10, 14)),
          (None, date(2026, 4, 30)), (date(2026, 5, 4), None)]

#: The communities' figures straight from the activities (distinct people, the first post of each
#: author in a thread over the range and the first reply by someone else up to its end).
SPACES_FROM_ACTIVITIES = """
with
bounds as (select greatest(coalesce($from_date::date, min(d)), min(d)) as f, least(coalesce($to_date::date, max(d)), max(d)) as l
           from (select occurred_at::date as d from activities union all select coalesce(last_activity, report_date) from usage_snapshots)),
acts as (select a.* from activities as a, bounds where a.space_key is not null and a.occurred_at < l + interval 1 day),
starts as (select space_key, source, thread_ref, person_key, min(occurred_at) as started_at from acts, bounds
           where occurred_at >= f and kind = 'post' and thread_ref is not null group by all),
replied as (select t.space_key, t.started_at, min(r.occurred_at) as replied_at from starts as t
            left join acts as r on r.source = t.source and r.thread_ref = t.thread_ref and r.kind = 'reply'
             and r.person_key <> t.person_key and r.occurred_at >= t.started_at group by all),
final as (
    select s.space_key,
           (select count(distinct person_key) from acts where acts.space_key = s.space_key) as members,
           (select count(distinct person_key) from acts, bounds where acts.space_key = s.space_key and occurred_at >= f)
               as active_members,
           count(*) as threads, count(replied_at) as threads_answered,
           quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.5) as first_reply_median_hours,
           quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.9) as first_reply_p90_hours
    from replied as s group by all
)
select * from final
"""


def stale_copy(db: Path, folder: Path) -> Path:
    """A copy of the store whose bases no longer say what they were built from: every metric
    reads the activities."""
    copy = folder / "stale.duckdb"
    shutil.copy(db, copy)
    with store.writing(str(copy)) as con:
        con.execute("delete from m_state")
    return copy


def assert_same(got: registry.MetricResult, want: registry.MetricResult, what) -> None:
    assert_frame_equal(got.rows, want.rows, check_exact=True), what
    assert got.suppressed_groups == want.suppressed_groups, what
    assert got.extra.keys() == want.extra.keys(), what
    for k, value in want.extra.items():
        if isinstance(value, pl.DataFrame):
            assert_frame_equal(got.extra[k], value, check_exact=True), (what, k)
        else:
            assert got.extra[k] == value, (what, k)


def test_communities_and_responsiveness_from_the_stored_bases_equal_them_from_the_activities(sample_store, tmp_path):
    con = store.connect(sample_store, read_only=True)
    live = store.connect(stale_copy(sample_store, tmp_path), read_only=True)
    assert bases.sources(con, "month", None, None).materialised
    assert not bases.sources(live, "month", None, None).materialised
    answered = 0
    for start, end in RANGES:
        for name, by, period in [("communities", "organisation", "month"), ("responsiveness", "organisation", "week"),
                                 ("responsiveness", "department", "month"), ("responsiveness", "team", "quarter")]:
            params = MetricParams(by=by, period=period, start=start, end=end, min_group_size=5)
            got = registry.get(name)(con, params)
            assert_same(got, registry.get(name)(live, params), (name, by, period, start, end))
            if name == "communities":
                want = con.execute(SPACES_FROM_ACTIVITIES, {"from_date": start, "to_date": end}).pl()
                columns = want.columns[1:]
                listed = got.rows.filter(pl.col("kind") != "private")
                names = con.execute("select space_key, name as community from spaces").pl()
                mine = want.join(names, on="space_key").join(listed.select("community", *columns), on="community")
                assert mine.height == listed.filter(pl.col("threads") > 0).height > 0, (start, end)
                assert_frame_equal(mine.select(columns), mine.select(f"{c}_right" for c in columns)
                                   .rename(lambda c: c.removesuffix("_right")), check_exact=True, check_dtypes=False)
                answered += int(got.extra["threads_answered"])
    assert answered > 0
    con.close()
    live.close()


def test_responsiveness_and_lifecycle_over_whole_periods_from_the_stored_results_equal_the_live_metric(sample_store):
    from dashboard.filters import periods, whole_periods

    con = store.connect(sample_store, read_only=True)
    state = status.status(con)  # the sidebar's bounds
    first, last = state["first_activity"].date(), state["last_activity"].date()
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    k = settings.min_group_size
    keys = results.current_keys(con)
    served = 0
    # and those the load stored under today's organisation (by department: the sample's split)
    for name, by, period, extra in results.default_calls(settings, bases.restated_attributes(con)):
        if name not in results.RANGED or by not in ("organisation", "department", "team"):
            continue
        starts = periods(period, first, last)
        # the first periods, the middle, the last ones, one period: as the sidebar snaps them
        for lo, hi in ((starts[0], starts[2]), (starts[1], starts[-2]), (starts[3], starts[-1]),
                       (starts[-1], starts[-1]), (starts[4], starts[4])):
            start, end = whole_periods(period, lo, hi, first, last)
            assert results.ranged(con, name, period, start, end)
            whole = results.lookup(con, name, MetricParams(by=by, period=period, min_group_size=k, extra=extra), keys)
            hidden = results.stored(con, *results.hidden_key(name, by, period, k, extra), keys=keys)
            got = results.range_result(con, name, by, period, whole, hidden.rows, start, end, k, extra)
            live = registry.get(name)(con, MetricParams(by=by, period=period, start=start, end=end,
                                                        min_group_size=k, extra=extra))
            assert_same(got, live, (name, by, period, start, end))
            served += 1
    # responsiveness and lifecycle of 3 attributes and 3 grains, 5 ranges each; by department
    # under today's organisation too
    assert served == 2 * (3 + 1) * 3 * 5
    assert not results.ranged(con, "lifecycle", "month", date(2026, 8, 10), date(2026, 9, 30))
    con.close()


def test_the_teams_of_a_group_from_the_stored_rows_equal_those_the_participation_gives(sample_store):
    from metrics.figures import teams_in, teams_of

    con = store.connect(sample_store, read_only=True)
    keys = results.current_keys(con)
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    compared = 0
    for period in ("week", "month", "quarter"):
        flagged = results.stored(con, "inactive-teams", "team", period, settings.min_group_size,
                                 results.rule_settings(settings), keys=keys)
        as_of = flagged.extra["as_of"]
        found = results.stored(con, "team-groups", "team", period, 0, {}, end=as_of, keys=keys)
        assert found is not None, period
        for by in results.TEAM_GROUP_BYS:
            groups = found.rows[by].unique().sort().to_list()
            assert len(groups) >= (1 if by == "frontline" else 2), (period, by)
            for group in groups + ["no such group"]:
                assert teams_of(found.rows, by, group) == teams_in(con, by, group, period, as_of), (period, by, group)
                compared += 1
    assert compared > 3 * 5
    con.close()


def test_ranges_of_whole_periods_under_either_attribution_equal_the_live_metric_and_read_what_the_load_kept(
        sample_store, tmp_path):
    """Responsiveness counts again only the periods whose threads differ from the whole history's,
    and the lifecycle's cohorts are cut from the cells the load kept (over weeks, those of the
    months they cut counted from their days): the same
    figures as the metric over the range, whichever attribution the store is refreshed under."""
    from dashboard.filters import periods, whole_periods
    from metrics import lifecycle, responsiveness

    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_store, copy)
    for attribution in ("today", "as-it-was"):
        settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={"RUCHE_ATTRIBUTION": attribution})
        assert settings.attribution == attribution
        k = settings.min_group_size
        with store.writing(str(copy)) as con:
            results.precompute(con, settings)
        con = store.connect(copy, read_only=True)
        state = status.status(con)
        first, last = state["first_activity"].date(), state["last_activity"].date()
        extra = bases.attribution_extra(attribution)
        keys = results.current_keys(con)
        cut, again = 0, {}
        for period in ("month", "quarter", "week"):
            starts = periods(period, first, last)
            n = len(starts)
            # the first periods, one in the middle, from the middle to the end, the last ones, all but the ends
            for lo, hi in ((0, 2), (n // 3, n // 3), (n // 2, n - 1), (n - 3, n - 1), (1, n - 2)):
                start, end = whole_periods(period, starts[lo], starts[hi], first, last)
                for by in ("organisation", "department", "team"):
                    for name in ("responsiveness", "lifecycle"):
                        params = MetricParams(by=by, period=period, min_group_size=k, extra=extra)
                        whole = results.lookup(con, name, params, keys)
                        hidden = results.stored(con, *results.hidden_key(name, by, period, k, extra), keys=keys)
                        assert whole is not None and hidden is not None, (attribution, name, by, period)
                        got = results.range_result(con, name, by, period, whole, hidden.rows, start, end, k, extra)
                        live = registry.get(name)(con, MetricParams(by=by, period=period, start=start, end=end,
                                                                    min_group_size=k, extra=extra))
                        assert_same(got, live, (attribution, name, by, period, start, end))
                    cells = results.cohort_cells(con, by, start, end, extra)
                    # cut from what the load kept (weeks cut months: the cells of those months
                    # counted from their days)
                    assert cells is not None, (attribution, by, period, start, end)
                    want = lifecycle.cohort_cells_by(con, [by], start, end, bases.check_attribution(attribution))
                    assert_frame_equal(cells[by].sort(by, "cohort", "months_after"),
                                       want[by].sort(by, "cohort", "months_after"), check_exact=True)
                    cut += 1
                again[period, start, end] = responsiveness.periods_counted_again(con, period, start, end)["period"].to_list()
        assert cut == 3 * 5 * 3
        # the periods counted again: a thread answered after the range's end, an author's post in a
        # thread they posted in before the range (the sample's data: November 2025 to October 2026)
        assert {key: found for key, found in again.items() if key[0] == "month"} == {
            ("month", date(2025, 11, 1), date(2026, 1, 31)): ["2025-11", "2026-01"],
            ("month", date(2026, 3, 1), date(2026, 3, 31)): ["2026-03"],
            ("month", date(2026, 5, 1), date(2026, 10, 31)): [],
            ("month", date(2026, 8, 1), date(2026, 10, 31)): [],
            ("month", date(2025, 12, 1), date(2026, 9, 30)): ["2026-08", "2026-09"],
        }
        for period in ("week", "month", "quarter"):  # the whole history: its own periods
            assert responsiveness.periods_counted_again(con, period, first, last).height == 0
        con.close()


def test_the_funnel_from_the_stored_bits_equals_the_sums_of_the_range_under_either_attribution(sample_store):
    """The onboarding funnel over a range read from the months and quarters each person was
    active, reacted and contributed in, as bits (``m_person_month``), and the days at its ends,
    equals it summed from the bases' rows of the range (whole quarters, months, days)."""
    from metrics import lifecycle
    from metrics._sql import sql
    from metrics.population import bounds_sql

    con = store.connect(sample_store, read_only=True)
    assert bases.sources(con, "month", None, None).materialised
    ranges = [*RANGES, (date(2025, 11, 1), date(2026, 10, 31)), (date(2026, 1, 1), date(2026, 6, 30)),
              (date(2025, 12, 15), date(2026, 7, 20))]
    organisation = {}
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        for start, end in ranges:
            got = lifecycle.funnel_and_cohorts_by(con, ["organisation", "department", "team"], start, end, 5, 3,
                                                  attribution)
            src = bases.sources(con, "month", start, end)
            sums = con.execute(sql("lifecycle_funnel").format(
                bounds=bounds_sql(src.days),
                groups=bases.person_range_groups(src, ["organisation", "department", "team"], attribution, months=True)),
                {"from_date": start, "to_date": end, "regular_months": 3}).pl()
            for by in ("organisation", "department", "team"):
                want = (sums.filter(pl.col("by_attribute") == by).drop("by_attribute").rename({"g0": by})
                        .with_columns(pl.col(lifecycle.FUNNEL).cast(pl.Int64)))
                mine = got[by][0]
                assert_frame_equal(mine, want.join(mine.select(by), on=by, how="semi").sort(by), check_exact=True), (
                    attribution, start, end, by)
            organisation[(attribution, start, end)] = got["organisation"][0].select(lifecycle.FUNNEL).row(0)
    # in the directory, seen, reacted, posted, contributes regularly
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        assert organisation[(attribution, None, None)] == (1500, 1010, 376, 145, 137)
        assert organisation[(attribution, date(2026, 1, 1), date(2026, 6, 30))] == (1438, 790, 355, 131, 118)
        assert organisation[(attribution, date(2025, 12, 15), date(2026, 7, 20))] == (1452, 796, 359, 135, 125)
        assert organisation[(attribution, date(2026, 10, 12), date(2026, 10, 18))] == (1374, 259, 252, 88, 0)
    con.close()


def test_the_months_contributed_in_on_the_days_at_a_ranges_ends_are_those_of_its_first_month_and_one_other(
        sample_store):
    """Over the days at a range's ends, the months a person contributed in are counted as the
    range's first month and the one month after it they may fall in (the days at the ends lie in
    two months at most: a month between them is a whole one, read from the bits), not as a
    distinct count of months: the funnel's regular contributors over ranges that cut months,
    with the days of one month, of two, at either end or both, equal them summed from the range's
    rows, for a threshold each end's month can reach."""
    from metrics import lifecycle
    from metrics._sql import sql
    from metrics.population import bounds_sql

    con = store.connect(sample_store, read_only=True)
    ranges = [(date(2026, 8, 10), date(2026, 9, 20)), (date(2026, 9, 1), date(2026, 9, 20)),
              (date(2026, 7, 20), date(2026, 9, 10)), (date(2026, 6, 15), date(2026, 8, 31)),
              (date(2026, 6, 1), date(2026, 8, 12)), (date(2025, 12, 15), date(2026, 2, 10))]
    regular = {}
    for start, end in ranges:
        for months in (1, 2, 3):
            got = lifecycle.funnel_and_cohorts_by(con, ["organisation", "department"], start, end, 5, months,
                                                  bases.TODAY)
            src = bases.sources(con, "month", start, end)
            sums = con.execute(sql("lifecycle_funnel").format(
                bounds=bounds_sql(src.days),
                groups=bases.person_range_groups(src, ["organisation", "department"], bases.TODAY, months=True)),
                {"from_date": start, "to_date": end, "regular_months": months}).pl()
            for by in ("organisation", "department"):
                want = (sums.filter(pl.col("by_attribute") == by).drop("by_attribute").rename({"g0": by})
                        .with_columns(pl.col(lifecycle.FUNNEL).cast(pl.Int64)))
                mine = got[by][0]
                assert_frame_equal(mine, want.join(mine.select(by), on=by, how="semi").sort(by), check_exact=True), (
                    start, end, months, by)
            regular[start, end, months] = got["organisation"][0]["regular"][0]
    # contributes regularly in the whole organisation, at 1, 2 and 3 months
    assert [regular[date(2026, 8, 10), date(2026, 9, 20), m] for m in (1, 2, 3)] == [117, 106, 0]
    assert [regular[date(2026, 7, 20), date(2026, 9, 10), m] for m in (1, 2, 3)] == [130, 113, 93]
    assert [regular[date(2025, 12, 15), date(2026, 2, 10), m] for m in (1, 2, 3)] == [81, 70, 55]
    con.close()


def test_the_cohorts_from_the_stored_arrivals_equal_them_from_the_activities(sample_store, tmp_path):
    """The cohorts' cells over ranges cutting months (counted over the range, not cut from the
    whole history's) read each person's first activity from ``m_person_arrival``: the same as
    from the activities."""
    from metrics import lifecycle

    con = store.connect(sample_store, read_only=True)
    live = store.connect(stale_copy(sample_store, tmp_path), read_only=True)
    assert bases.sources(con, "month", None, None).arrivals == "m_person_arrival"
    assert bases.sources(live, "month", None, None).arrivals != "m_person_arrival"
    sizes = {}
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        for start, end in [(date(2026, 8, 10), date(2026, 9, 20)), (date(2025, 11, 3), date(2026, 11, 1)),
                           (None, None), (date(2026, 10, 12), date(2026, 10, 18))]:
            got = lifecycle.cohort_cells_by(con, ["organisation", "department"], start, end, attribution)
            want = lifecycle.cohort_cells_by(live, ["organisation", "department"], start, end, attribution)
            for by in got:
                assert_frame_equal(got[by], want[by], check_exact=True), (attribution, start, end, by)
            sizes[(attribution, start)] = got["organisation"].select("cohort", "cohort_size").unique().sort("cohort")
    # over a range cutting months, the whole history's cells of its whole months and those of the
    # months it cuts counted from their days
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        history = lifecycle.cohort_cells_by(con, ["department"], None, None, attribution)["department"]
        for start, end in [(date(2026, 8, 10), date(2026, 9, 20)), (date(2025, 11, 3), date(2026, 10, 31)),
                           (date(2026, 10, 12), date(2026, 10, 18)), (date(2026, 2, 2), date(2026, 5, 3)),
                           (date(2026, 3, 1), date(2026, 6, 14))]:
            got = lifecycle.cells_around(history, con, "department", start, end, attribution)
            want = lifecycle.cohort_cells_by(con, ["department"], start, end, attribution)["department"]
            assert_frame_equal(got, want, check_exact=True), (attribution, start, end)
    # every arrival of the sample's year, the first month's the largest
    whole = sizes[(bases.AS_IT_WAS, None)]
    assert (whole.height, whole["cohort_size"].sum(), whole["cohort_size"][0]) == (12, 381, 266)
    con.close()
    live.close()


def test_a_range_counted_under_todays_organisation_where_no_attribute_it_reads_changed_equals_the_live_metric(
        sample_store):
    """Over a range, responsiveness and the lifecycle are counted under today's organisation (each
    person read once, not each version of their attributes) wherever the measure reads no
    attribute some person held with another value: the whole organisation always, any other
    attribute when the store's history never changed it. The sample's movers changed department
    only: by department the versions are read, by team and site they are not, and every figure
    is the one the metric gives as it was."""
    from dashboard.filters import periods, whole_periods

    con = store.connect(sample_store, read_only=True)
    restated = bases.restated_attributes(con)
    assert restated == frozenset({"department"})
    assert con.execute("select count(*) from (select person_key from people_history group by all "
                       "having count(*) > 1)").fetchone()[0] == 146
    state = status.status(con)
    first, last = state["first_activity"].date(), state["last_activity"].date()
    keys = results.current_keys(con)
    counted = {}
    for period in ("month", "week"):
        starts = periods(period, first, last)
        n = len(starts)
        for lo, hi in ((0, 2), (n // 2, n - 1), (1, n - 2)):
            start, end = whole_periods(period, starts[lo], starts[hi], first, last)
            for by in ("organisation", "department", "team", "site"):
                for name in ("responsiveness", "lifecycle"):
                    counted[name, by] = results.counted_as(name, by, bases.AS_IT_WAS, restated)
                    params = MetricParams(by=by, period=period, min_group_size=5)
                    whole = results.lookup(con, name, params, keys)
                    hidden = results.stored(con, *results.hidden_key(name, by, period, 5, {}), keys=keys)
                    got = results.range_result(con, name, by, period, whole, hidden.rows, start, end, 5, {}, restated)
                    live = registry.get(name)(con, MetricParams(by=by, period=period, start=start, end=end,
                                                                min_group_size=5))
                    assert_same(got, live, (name, by, period, start, end))
                    assert got.extra["attribution"] == bases.AS_IT_WAS
    assert counted == {(name, by): bases.AS_IT_WAS if by == "department" else bases.TODAY
                       for name in ("responsiveness", "lifecycle") for by in ("organisation", "department", "team", "site")}
    # unknown restated attributes: the versions are read but by the whole organisation
    assert [results.counted_as("lifecycle", by, bases.AS_IT_WAS) for by in ("organisation", "team")] == [
        bases.TODAY, bases.AS_IT_WAS]
    con.close()


def test_the_threads_of_the_communities_summed_from_their_counts_per_day_equal_them_from_the_posts(
        sample_store, tmp_path):
    """The communities' threads started, answered and answered quickly over a range are sums of
    the counts per space and day the load keeps (``m_space_thread_count``), for a quick reply of
    a day; another one counts the posts of the threads on the fly: both equal the figures from the
    activities, every community, the pool of private conversations and the organisation's."""
    con = store.connect(sample_store, read_only=True)
    live = store.connect(stale_copy(sample_store, tmp_path), read_only=True)
    assert con.execute("select count(*), sum(threads), count(reply_day), count(*) filter (where fast) "
                       "from m_space_thread_count").fetchone() == (10316, 15047, 4542, 2101)
    assert con.execute("select count(*) from m_space_thread_post").fetchone()[0] == 15047
    counted = 0
    for start, end in RANGES:
        for fast in (24.0, 2.0):
            params = MetricParams(by="organisation", start=start, end=end, min_group_size=5,
                                  extra={"fast_hours": fast})
            got = registry.get("communities")(con, params)
            assert_same(got, registry.get("communities")(live, params), (start, end, fast))
            counted += got.extra["threads"]
    assert counted == 2 * 41584
    con.close()
    live.close()


def test_the_split_and_personas_of_a_range_read_once_equal_the_measures_from_the_activities(sample_store, tmp_path):
    """The Contributors page's range change (metrics.results.range_contributors: each person counted
    once per cell, the organisation's cells those of the versions held over the whole range) gives
    the 90/9/1 split and the personas the measures compute from the activities, and from the
    bases, over ranges of whole periods and ranges cutting them, under either attribution, by the
    organisation, an attribute and the teams."""
    con = store.connect(sample_store, read_only=True)
    live = store.connect(stale_copy(sample_store, tmp_path), read_only=True)
    assert bases.sources(con, "month", None, None).materialised
    assert not bases.sources(live, "month", None, None).materialised
    ranges = [*RANGES, (date(2025, 11, 1), date(2026, 10, 31)), (date(2025, 12, 15), date(2026, 7, 20)),
              (date(2026, 1, 1), date(2026, 6, 30))]
    figures = {}
    closed = store.connect(sample_store, read_only=True)
    closed.close()
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        extra = bases.attribution_extra(attribution)
        for start, end in ranges:
            for by in ("organisation", "department", "team"):
                found = results.range_contributors(con, by, start, end, attribution)
                for name in ("inequality", "personas"):
                    params = MetricParams(by=by, start=start, end=end, min_group_size=5, extra=extra)
                    got = results.from_range_contributors(con, name, params, found)
                    assert_same(got, registry.get(name)(live, params), (attribution, start, end, by, name))
                    assert_same(got, registry.get(name)(con, params), (attribution, start, end, by, name))
                    # what both results say of the range was read with the counts: no query more
                    assert_same(results.from_range_contributors(closed, name, params, found), got, name)
                    if by == "team" and name == "inequality":
                        figures[attribution, start, end] = (
                            got.extra["headcount"], got.extra["contributor_absence_factor"],
                            got.extra["groups"]["headcount"].sum(), got.suppressed_groups)
                    if by == "team" and name == "personas":
                        figures[attribution, start, end] += (got.rows["people"].sum(),)
    # the people beginning a version inside a range cut at both ends (a new level or manager): in
    # the range's part of each version, summed from their days
    movers = con.execute(
        "select count(distinct person_key) from people_history as h where valid_from > date '2025-12-15' "
        "and valid_from <= date '2026-07-20' and valid_from > (select min(valid_from) from people_history "
        "where person_key = h.person_key)").fetchone()[0]
    assert movers == 146
    # by team: the organisation's headcount and contributor absence factor, the teams' headcounts
    # added up (those shown), the teams left out, the people with a persona in the teams shown
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        assert figures[attribution, None, None] == (1500, 11, 1485, 13, 1017)
        assert figures[attribution, date(2025, 12, 15), date(2026, 7, 20)] == (1452, 10, 1437, 13, 802)
        assert figures[attribution, date(2026, 8, 10), date(2026, 9, 20)] == (1391, 11, 1376, 13, 878)
        assert figures[attribution, date(2026, 10, 14), date(2026, 10, 14)][:2] == (1369, 8)
    con.close()
    live.close()


def test_the_split_and_personas_of_a_range_from_the_kept_versions_equal_them_from_the_history(sample_store):
    """The Contributors page keeps, once per store, each person's versions and the days of those
    who hold more than one (metrics.bases.keep_versions, in the in-memory database beside the
    store): every range's 90/9/1 split and personas read from them are those read from the
    directory's history and the whole base, under either attribution."""
    con = store.connect(sample_store, read_only=True)
    cur = store.cursor(con)
    kept = {a: bases.keep_versions(cur, a, "memory", f"kept_{a.replace('-', '_')}") for a in bases.ATTRIBUTIONS}
    # the days kept: those of the people holding more than one version only, every one of theirs
    movers, moved_days, all_days = cur.execute(
        "with moved as (select person_key from people_history group by all having count(*) > 1) "
        f"select (select count(distinct person_key) from {kept[bases.AS_IT_WAS].days}), "
        f"(select count(*) from {kept[bases.AS_IT_WAS].days}), "
        "(select count(*) from m_person_day semi join moved using (person_key))").fetchone()
    assert (movers, moved_days) == (cur.execute(
        "select count(distinct person_key), count(*) from m_person_day where person_key in "
        "(select person_key from people_history group by all having count(*) > 1)").fetchone())
    assert moved_days == all_days
    assert (movers, moved_days) == (74, 653)
    assert cur.execute(f"select count(*) from {kept[bases.AS_IT_WAS].versions}").fetchone()[0] == 1668
    assert cur.execute(f"select count(*) from {kept[bases.TODAY].days}").fetchone()[0] == 0
    ranges = [*RANGES, (date(2025, 11, 1), date(2026, 10, 31)), (date(2025, 12, 15), date(2026, 7, 20)),
              (date(2026, 1, 1), date(2026, 6, 30))]
    for attribution in bases.ATTRIBUTIONS:
        extra = bases.attribution_extra(attribution)
        for start, end in ranges:
            for by in ("organisation", "department", "team"):
                found = results.range_contributors(cur, by, start, end, attribution)
                from_kept = results.range_contributors(cur, by, start, end, attribution, kept[attribution])
                for name in ("inequality", "personas"):
                    params = MetricParams(by=by, start=start, end=end, min_group_size=5, extra=extra)
                    assert_same(results.from_range_contributors(cur, name, params, from_kept),
                                results.from_range_contributors(cur, name, params, found),
                                (attribution, start, end, by, name))
    # the versions of one attribution are never read for the other's figures
    with pytest.raises(ValueError, match="kept versions"):
        results.range_contributors(cur, "team", None, None, bases.TODAY, kept[bases.AS_IT_WAS])
    con.close()


def test_the_person_totals_of_a_range_from_its_whole_weeks_equal_them_from_its_days(sample_store):
    """The days at a range's ends are read as the whole weeks inside them (each within one month)
    and the days left: each person's totals over the range (and per month, for the months they
    contributed in) are those its quarters, months and days give, a week active when one of its
    days is (an activity, or a usage report vouching for it, whatever its window)."""
    con = store.connect(sample_store, read_only=True)
    assert bases.sources(con, "month", None, None).materialised
    # 7 September to 4 October: three weeks of September, then its last three days and October's first four
    weeks, days = bases.week_spans(bases.range_spans(date(2026, 9, 7), date(2026, 10, 4))["day"])
    assert weeks == [(date(2026, 9, 7), date(2026, 9, 28))]
    assert days == [(date(2026, 9, 28), date(2026, 10, 1)), (date(2026, 10, 1), date(2026, 10, 5))]
    ranges = [*RANGES, (date(2025, 12, 15), date(2026, 7, 20)), (date(2026, 3, 20), date(2026, 4, 10)),
              (date(2025, 11, 10), date(2026, 10, 25)), (date(2026, 2, 2), date(2026, 3, 1))]
    usage_only_weeks = 0
    for start, end in ranges:
        for months_only in (False, True):
            spans = bases.range_spans(start, end, months_only)
            month = "month, " if months_only else ""

            def within(column, grain_spans):
                return " or ".join(f"({column} >= date '{a}' and {column} < date '{b}')"
                                   for a, b in grain_spans if a < b) or "false"

            # the range's quarters and months as the base holds them, and its ends day by day
            by_days = " union all ".join(
                [f"select person_key, {'period_start as month, ' if months_only else ''}posts, replies, reactions, "
                 f"received, replies_received, active, active_days, last_contribution from m_person_period "
                 f"where grain = '{g}' and ({within('period_start', spans[g])})" for g in ("quarter", "month")]
                + [f"select person_key, {'date_trunc(' + chr(39) + 'month' + chr(39) + ', day)::date as month, ' if months_only else ''}"
                   "posts, replies, reactions, received, replies_received, active, dated_active::integer, "
                   f"case when posts + replies > 0 then day end from m_person_day where ({within('day', spans['day'])})"])
            totals = ("select person_key, {month}sum(posts), sum(replies), sum(reactions), sum(received), "
                      "sum(replies_received), bool_or(active), sum(active_days), max(last_contribution) from ({rows}) "
                      "group by all order by all")
            want = con.execute(totals.format(month=month, rows=by_days)).fetchall()
            got = con.execute(totals.format(month=month, rows=bases._range_sums(start, end, months_only)),
                              {"from_date": start, "to_date": end}).fetchall()
            assert got == want, (start, end, months_only)
        weeks, _ = bases.week_spans(bases.range_spans(start, end)["day"])
        if weeks:  # weeks vouched for by a usage report only: active as their days are
            usage_only_weeks += con.execute(
                f"select count(*) from m_person_period where grain = 'week' and active_days = 0 and usage_active "
                f"and ({' or '.join(f'(period_start >= date {chr(39)}{a}{chr(39)} and period_start < date {chr(39)}{b}{chr(39)})' for a, b in weeks)})"
            ).fetchone()[0]
    assert usage_only_weeks == 1035
    con.close()
