"""Results precomputed by a load: the same as computed live, and never served once stale."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import lifecycle, registry, results, status
from metrics.people import champions
from metrics.graph import DRAWN_GROUPS
from metrics.registry import MetricParams
from ruche import store
from ruche.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_stored_results_equal_live_ones_and_go_stale_with_the_next_load(tiny_store):
    settings = Settings.load(None, env={}, min_group_size=1)
    with store.writing(tiny_store) as con:
        done = results.precompute(con, settings)
    # and the Overview's measures under a sponsor's minimum group size (20) too
    sponsored = [call for call in results.default_calls(settings) if results.sponsored(call[0], call[3])]
    assert settings.sponsor_min_group_size == 20 and len(sponsored) == 21 + 18 + 18
    assert done["results"] == len(results.default_calls(settings)) + len(sponsored)
    con = store.connect(tiny_store, read_only=True)
    for (name, by, period, extra), k in ([(call, 1) for call in results.default_calls(settings)]
                                         + [(call, 20) for call in sponsored]):
        params = MetricParams(by=by, period=period, min_group_size=k, extra=extra)
        stored = results.lookup(con, name, params)
        live = registry.get(name)(con, params)
        assert stored is not None, (name, by, extra)
        assert_frame_equal(stored.rows, live.rows)
        assert stored.suppressed_groups == live.suppressed_groups
        assert stored.extra.keys() == live.extra.keys()
    # a metric that ignores the grain is stored once, found under every grain
    for name, extra in (("inequality", {}), ("personas", {}),
                        ("silos", {"silo_threshold": settings.silo_threshold, "graph_top": DRAWN_GROUPS})):
        params = MetricParams(by="site", period="week", min_group_size=1, extra=extra)
        assert_frame_equal(results.lookup(con, name, params).rows, registry.get(name)(con, params).rows)
    # the teams flagged at the end of the previous period and of every earlier one (a range of the
    # dashboard ending with it), the sidebar's groups, the coverage
    from metrics.teams import review_ends

    first_day = date.fromisoformat(json.loads(con.execute("select facts from m_results_facts").fetchone()[0])["first_day"])
    reviews = 0
    for period in ("week", "month", "quarter"):
        teams = results.lookup(con, "inactive-teams", MetricParams(by="team", period=period, min_group_size=1))
        ends = {results.previous_as_of(period, teams.extra["as_of"]), *review_ends(period, first_day, teams.extra["as_of"])}
        ends |= {results.previous_as_of(period, end) for end in ends}
        assert len(ends) > (1 if period == "week" else 0), period
        reviews += len(ends)
        for end in ends:
            params = MetricParams(by="team", period=period, min_group_size=1, end=end)
            live = registry.get("inactive-teams")(con, params)
            found = results.lookup(con, "inactive-teams", params)
            assert_frame_equal(found.rows, live.rows, check_exact=True)
            assert found.suppressed_groups == live.suppressed_groups, (period, end)
            assert [found.extra[k] for k in ("as_of", "period", "previous_period")] == [
                live.extra[k] for k in ("as_of", "period", "previous_period")], (period, end)
    site = registry.get("participation")(con, MetricParams(by="site", min_group_size=1)).rows
    assert results.stored(con, "groups", "site", "month", 1, {}).rows["site"].to_list() == sorted(set(site["site"]))
    for period in ("week", "month", "quarter"):
        assert_frame_equal(results.stored(con, "coverage", "source", period, 0, {}).rows, status.coverage(con, period))
    # other parameters are not stored: the caller computes them live
    assert results.lookup(con, "participation", MetricParams(by="site", start=date(2026, 1, 1), min_group_size=1)) is None
    assert results.lookup(con, "participation", MetricParams(by="site", min_group_size=5)) is None
    assert results.lookup(con, "leadership", MetricParams(by="site", min_group_size=1)) is None
    assert_frame_equal(results.stored(con, "champions", "person", "month", 0, {}).rows, champions(con))
    # beside the metrics: per grain, the previous teams, the teams of each group, the coverage and the groups left out in
    # each period by participation (every attribute and the organisation), the leaders and the
    # silos, and by responsiveness and the lifecycle (every attribute and the organisation); per
    # attribute, the groups; the champions (no targets in these settings); per grain, the
    # participation the inactivity rules read, kept for the next load; the cells of the
    # lifecycle's cohort curves of every attribute and the organisation; under a sponsor's
    # minimum, the groups each period left out of each of the Overview's measures, and the groups
    assert not settings.targets
    # (and the levels' and the frontline's by every other attribute)
    assert len(results.current_keys(con)) == (done["results"] + reviews + 2 * 3 + 3
                                              + 3 * (3 * len(results.BY_CHOICES) + 1 + 2 * (len(results.BY_CHOICES) - 1))
                                              + 3 * 2 * (len(results.BY_CHOICES) + 1)
                                              + len(results.BY_CHOICES) + 1 + len(results.BY_CHOICES) + 1
                                              + len(sponsored) + len(results.BY_CHOICES))
    for by in ["organisation", *results.BY_CHOICES]:
        assert_frame_equal(results.stored(con, *results.cells_key(by, {})).rows,
                           lifecycle.cohort_cells_by(con, [by])[by], check_exact=True)
    con.close()
    with store.writing(tiny_store) as con:
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (99, 't', '2026-02-20', 4, 'post', 2)")
    con = store.connect(tiny_store, read_only=True)
    assert results.lookup(con, "participation", MetricParams(by="organisation", min_group_size=1)) is None


def test_stored_frames_are_arrow_streams_and_those_stored_as_arrow_files_before_read_the_same(tiny_store):
    """A load stores its frames as Arrow IPC streams (no file footer: small frames cost less to
    write and read); a store whose results were written as Arrow IPC files before answers the
    same from them, and a load splicing them reads them as they are."""
    settings = Settings.load(None, env={}, min_group_size=1)
    with store.writing(tiny_store) as con:
        results.precompute(con, settings)
        rows = con.execute("select key, rows, extra from m_results").fetchall()
        assert not any(blob[:6] == b"ARROW1" for _, blob, _ in rows)
        # the frames among the figures (the lifecycle's funnel and cohorts...) too: none begins "ARROW1" in base64
        assert any('"__frame__"' in extra for _, _, extra in rows)
        assert not any('"__frame__": "QVJST1cx' in extra for _, _, extra in rows)
        params = MetricParams(by="site", period="week", min_group_size=1)
        streamed = results.lookup(con, "participation", params)
        # the same results as files, as stored before
        for k, blob, extra in rows:
            as_file = io.BytesIO()
            results.frame_of(blob).write_ipc(as_file, compression="zstd")
            con.execute("update m_results set rows = ? where key = ?", [as_file.getvalue(), k])
        assert con.execute("select bool_and(rows[1:6] = 'ARROW1'::blob) from m_results").fetchone()[0]
        filed = results.lookup(con, "participation", params)
    assert_frame_equal(filed.rows, streamed.rows, check_exact=True)
    assert (filed.suppressed_groups, filed.extra) == (streamed.suppressed_groups, streamed.extra)


def test_a_spliced_frame_is_written_from_the_stored_batches_and_reads_as_the_spliced_rows():
    """A load's splice writes a stored frame's rows before the first period touched as they are
    stored (its record batches before the cut, the one the cut falls in written again up to it),
    then the periods computed again: the frame read back is the splice's concat, whatever the
    stored batches; a frame whose rows before the cut do not come first, or stored with another
    schema or as an Arrow IPC file, is written in full."""
    months = [f"2026-{m:02d}" for m in range(1, 7)]
    first = pl.DataFrame({"period": months[:4] * 2, "team": ["a"] * 4 + ["b"] * 4, "n": range(8)}
                         ).sort("period", maintain_order=True)
    then = pl.DataFrame({"period": [months[4], months[4], None], "team": ["a", "b", "a"], "n": [8, 9, None]})
    old = pl.concat([first, then])
    stored = results._stream_spliced(results._frame_bytes(first), months[4], then)  # two record batches
    assert len(results._messages(stored)[1]) == 2
    assert_frame_equal(results.frame_of(stored), old, check_exact=True)
    for label in [*months, "2025-12"]:
        fresh = pl.DataFrame({"period": [label, label], "team": ["a", "c"], "n": [100, 101]})
        spliced = results._stream_spliced(stored, label, fresh)
        expected = pl.concat([old.filter(pl.col("period") < label), fresh])
        assert spliced is not None, label
        assert_frame_equal(results.frame_of(spliced), expected, check_exact=True)
        assert results.frame_of(spliced).rows() == expected.rows()
        # from the stored frame read already (participation's, the groups left out): the same
        assert_frame_equal(results.frame_of(results._stream_spliced(stored, label, fresh, old)), expected,
                           check_exact=True)
        # the batch before the cut stored as it was: not written again
        if label == months[4]:
            schema, batches = results._messages(stored)
            assert spliced.startswith(stored[:batches[0][1]]) and len(batches) == 2
        again = results._stream_spliced(spliced, months[2], fresh)  # the next load's splice of it
        assert_frame_equal(results.frame_of(again), pl.concat([expected.filter(pl.col("period") < months[2]), fresh]),
                           check_exact=True)
    # the rows before the cut stored after one from it: written in full (the filter's rows)
    for periods in (["2026-02", "2026-01"], ["2026-01", None, "2026-01"]):
        unsorted = pl.DataFrame({"period": periods, "team": ["a"] * len(periods), "n": range(len(periods))})
        assert results._stream_spliced(results._frame_bytes(unsorted), "2026-02", unsorted.head(0)) is None
    # another schema (n as a 32-bit integer), or an Arrow IPC file: written in full
    assert results._stream_spliced(stored, "2026-03", fresh.with_columns(pl.col("n").cast(pl.Int32))) is None
    as_file = io.BytesIO()
    old.write_ipc(as_file, compression="zstd")
    assert results._stream_spliced(as_file.getvalue(), "2026-03", fresh) is None


def test_a_large_frame_is_stored_with_its_last_period_apart_and_a_splice_there_keeps_the_rest_as_stored():
    """A frame of SPLIT_FROM_ROWS rows or more whose last rows are one period's is stored in two
    record batches; a splice at that period keeps the first batch byte for byte and reads as the
    splice's concat."""
    frame = pl.DataFrame({"period": ["2026-01"] * 1500 + ["2026-02"] * 600, "n": range(2100)})
    stored = results._frame_bytes(frame)
    schema, batches = results._messages(stored)
    assert len(batches) == 2 and results.SPLIT_FROM_ROWS == 2000
    fresh = pl.DataFrame({"period": ["2026-02", "2026-03"], "n": [-1, -2]})
    spliced = results._stream_spliced(stored, "2026-02", fresh)
    assert spliced.startswith(stored[:batches[0][1]])  # the rows before the cut as they were stored
    assert_frame_equal(results.frame_of(spliced), pl.concat([frame.head(1500), fresh]), check_exact=True)
    # a frame below the bound, or of one period only, in one batch
    assert len(results._messages(results._frame_bytes(frame.tail(1999)))[1]) == 1
    assert len(results._messages(results._frame_bytes(frame.head(1500).vstack(frame.head(1500))))[1]) == 1


def test_a_frame_two_streams_store_at_once_is_written_by_both():
    """The two streams of a refresh may store the same frame at once (a figure they share): each
    writes it whole, and neither waits on the other for ever (polars' writer holds the frame it
    writes locked while it waits for the interpreter, which the other stream, reading the frame,
    holds: written as it is, two threads storing one frame hang within a few hundred writes). In a
    process of its own, so that a hang fails the test instead of the run."""
    code = textwrap.dedent("""
        import threading
        import polars as pl
        from metrics import results
        frame = pl.DataFrame({"team": ["a", "b"] * 50000, "n": range(100000)})  # written whole
        heights = []
        def store():
            for _ in range(300):
                heights.append(results.frame_of(results._frame_bytes(frame)).height)
        threads = [threading.Thread(target=store) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(heights), sorted(set(heights)))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "600 [100000]"), done.stderr


def test_a_frame_spliced_night_after_night_is_written_whole_again_past_a_bound_of_batches():
    """Each period started adds a batch to a frame spliced from its batches: once it holds
    SPLICED_BATCHES, the next splice is written in full (one batch), so that a year of nightly
    loads leaves no frame in dozens of pieces."""
    stored = results._frame_bytes(pl.DataFrame({"period": ["2026-01"], "n": [0]}))
    for week in range(2, 40):
        label = f"2026-{week:02d}"
        fresh = pl.DataFrame({"period": [label], "n": [week]})
        spliced = results._stream_spliced(stored, label, fresh)
        batches = len(results._messages(stored)[1])
        if batches >= results.SPLICED_BATCHES:
            assert spliced is None  # the caller writes it in full
            spliced = results._frame_bytes(pl.concat([results.frame_of(stored), fresh]))
        assert len(results._messages(spliced)[1]) <= results.SPLICED_BATCHES
        assert_frame_equal(results.frame_of(spliced), pl.concat([results.frame_of(stored), fresh]), check_exact=True)
        stored = spliced
    assert results.frame_of(stored)["n"].to_list() == [0, *range(2, 40)]


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
    # participation, leaders and silos per period of 6 attributes and 3 grains, the levels and the
    # frontline of 5 (every other attribute), participation of the organisation per grain
    assert sliced == 3 * (3 * 6 + 2 * 5 + 1) * 5
    con.close()


LEADER_COLUMNS = ["period", "level", "headcount", "active", "contributors", "participation_rate", "contribution_rate",
                  "days", "partial"]


def test_the_leaders_stored_and_sliced_are_the_executives_and_managers_of_leadership(sample_store):
    """The Overview's leaders in a group: leadership's rows of the two levels, to the last bit."""
    from dashboard.filters import periods, whole_periods

    con = store.connect(sample_store, read_only=True)
    state = status.status(con)
    first, last = state["first_activity"].date(), state["last_activity"].date()
    k = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={}).min_group_size
    keys = results.current_keys(con)
    shown = {}
    for period in ("week", "month", "quarter"):
        starts = periods(period, first, last)
        for by in results.BY_CHOICES:
            outer = [] if by == "level" else [by]
            for start, end in ((None, None), whole_periods(period, starts[1], starts[-2], first, last),
                               whole_periods(period, starts[-3], starts[-1], first, last)):
                params = MetricParams(by=by, period=period, start=start, end=end, min_group_size=k)
                live = registry.get("leadership")(con, params)
                want = live.rows.filter(pl.col("level").is_in(["executive", "manager"])).select(
                    "period", *outer, *LEADER_COLUMNS[1:])
                if start is None:
                    got = results.lookup(con, "leaders", params, keys)
                else:
                    whole = results.lookup(con, "leaders", MetricParams(by=by, period=period, min_group_size=k), keys)
                    hidden = results.stored(con, *results.hidden_key("leaders", by, period, k, {}), keys=keys)
                    got = results.slice_result("leaders", by, period, whole, hidden.rows, start, end)
                assert_frame_equal(got.rows, want, check_exact=True)
                assert got.suppressed_groups == live.suppressed_groups, (by, period, start)
                assert_frame_equal(registry.get("leaders")(con, params).rows, want, check_exact=True)
                shown[by] = shown.get(by, 0) + want.height
    # executives and managers under the minimum size in every team of the sample; in departments,
    # only the eight managers of Maintenance & Quality (from May 2026) are enough to be shown
    assert {by for by, n in shown.items() if n == 0} == {"team"}, shown
    assert shown["department"] == 78, shown
    for by in ("department", "team"):
        for k in (1, 2):
            params = MetricParams(by=by, period="month", min_group_size=k)
            live = registry.get("leadership")(con, params)
            want = live.rows.filter(pl.col("level").is_in(["executive", "manager"])).select(
                "period", by, *LEADER_COLUMNS[1:])
            got = registry.get("leaders")(con, params)
            assert_frame_equal(got.rows, want, check_exact=True)
            assert got.suppressed_groups == live.suppressed_groups and want.height > 0
    con.close()


def test_the_levels_and_the_frontline_in_each_group_stored_and_sliced_are_leadership_and_frontline_live(sample_store):
    """The Participation page's levels and frontline once a group is chosen: read from what the
    load stored, or cut from it for a range of whole periods, the rows of ``leadership`` (without
    its threads) and of ``frontline`` computed live, to the last bit, and as many groups left out."""
    from dashboard.filters import periods, whole_periods

    con = store.connect(sample_store, read_only=True)
    state = status.status(con)
    first, last = state["first_activity"].date(), state["last_activity"].date()
    k = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={}).min_group_size
    keys = results.current_keys(con)
    shown: dict[tuple[str, str], int] = {}
    for name, attribute, live_name in (("levels", "level", "leadership"), ("frontline", "frontline", "frontline")):
        for period in ("week", "month", "quarter"):
            starts = periods(period, first, last)
            for by in results.BY_CHOICES:
                if by == attribute:  # the page reads participation by it
                    assert results.lookup(con, name, MetricParams(by=by, period=period, min_group_size=k), keys) is None
                    continue
                for start, end in ((None, None), whole_periods(period, starts[1], starts[-2], first, last),
                                   whole_periods(period, starts[-3], starts[-1], first, last)):
                    params = MetricParams(by=by, period=period, start=start, end=end, min_group_size=k)
                    live = registry.get(live_name)(con, params)
                    want = live.rows.drop("threads_started", "threads_replied", "replied_share", strict=False)
                    whole = results.lookup(con, name, MetricParams(by=by, period=period, min_group_size=k), keys)
                    if start is None:
                        got = whole
                    else:
                        hidden = results.stored(con, *results.hidden_key(name, by, period, k, {}), keys=keys)
                        got = results.slice_result(name, by, period, whole, hidden.rows, start, end)
                    assert_frame_equal(got.rows, want, check_exact=True)
                    assert got.suppressed_groups == live.suppressed_groups, (name, by, period, start)
                    assert_frame_equal(registry.get(name)(con, params).rows, want, check_exact=True)
                    shown[(name, by)] = shown.get((name, by), 0) + want.height
    # the cells shown, over the three grains and three ranges: no level of a team is ever shown in
    # the sample (too few executives and managers in each), the frontline and the desk of teams are
    assert shown == {
        ("levels", "department"): 2020, ("levels", "team"): 0, ("levels", "site"): 2574, ("levels", "country"): 1573,
        ("levels", "frontline"): 715, ("frontline", "department"): 2220, ("frontline", "team"): 20314,
        ("frontline", "site"): 2860, ("frontline", "country"): 1430, ("frontline", "level"): 715}, shown
    con.close()


def test_the_targets_of_every_attribute_and_day_from_the_stored_participation_equal_the_live_ones(
        sample_store, tmp_path):
    import shutil

    from metrics.targets import targets_from

    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    db = tmp_path / "roadmap.duckdb"
    shutil.copy(sample_store, db)
    with store.writing(db) as con:  # with the demo's roadmap
        results.precompute(con, settings)
    con = store.connect(db, read_only=True)
    k = settings.min_group_size
    keys = results.current_keys(con)
    # the configuration's targets, a named group, one starting after the data, a baseline set
    more = settings.targets + [
        {"metric": "participation", "group": "Sales", "value": 0.5, "start": "2027-01-01", "due": "2027-06-30"},
        {"metric": "contribution", "group": "Nowhere", "value": 0.5, "start": "2025-12-01", "due": "2026-06-30",
         "baseline": 0.01},
    ]
    checked = 0
    for period in ("week", "month", "quarter"):
        for by in ["organisation", *results.BY_CHOICES]:
            roadmap = results.roadmap(settings)
            params = MetricParams(by=by, period=period, min_group_size=k, extra=roadmap)
            live = registry.get("targets")(con, params)
            got = results.lookup(con, "targets", params, keys)  # stored by the load
            assert_frame_equal(got.rows, live.rows, check_exact=True)
            assert got.suppressed_groups == live.suppressed_groups
            assert_frame_equal(got.extra["phases"], live.extra["phases"], check_exact=True)
            whole = results.lookup(con, "participation", MetricParams(by=by, period=period, min_group_size=k), keys)
            hidden = results.stored(con, *results.hidden_key("participation", by, period, k, {}), keys=keys)
            for end in (None, date(2026, 6, 30), date(2026, 3, 31), date(2025, 12, 28), date(2026, 10, 31)):
                params = MetricParams(by=by, period=period, end=end, min_group_size=k,
                                      extra={"targets": more, "phases": settings.phases})
                live = registry.get("targets")(con, params)
                got = targets_from(con, params, whole.rows, hidden.rows)
                assert_frame_equal(got.rows, live.rows, check_exact=True)
                assert got.suppressed_groups == live.suppressed_groups, (by, period, end)
                assert_frame_equal(got.extra["phases"], live.extra["phases"], check_exact=True)
                checked += live.rows.height
    assert checked > 1000
    con.close()


#: The champions' definition over the activities themselves (what the bases add up).
CHAMPIONS_FROM_ACTIVITIES = """
with in_range as (
    select * from activities
    where ($from_date is null or occurred_at >= $from_date::date)
      and ($to_date is null or occurred_at < $to_date::date + interval 1 day)
),
given as (
    select person_key,
           count(*) filter (where kind in ('post', 'reply')) as contributions,
           count(*) filter (where kind = 'post') as posts,
           count(*) filter (where kind = 'reply') as replies,
           count(distinct date_trunc('month', occurred_at)) filter (where kind in ('post', 'reply')) as active_months
    from in_range group by person_key
),
received as (
    select target_key as person_key, count(*) as replies_received from in_range
    where kind = 'reply' and target_key is not null and target_key <> person_key group by target_key
)
select p.person_id, p.department, p.team, g.contributions, g.posts, g.replies,
       coalesce(r.replies_received, 0) as replies_received, g.active_months
from given as g join people as p using (person_key) left join received as r using (person_key)
where g.contributions > 0 and not p.is_external
order by g.contributions desc, p.person_id
limit $top
"""


def test_the_champions_from_the_bases_equal_their_definition_over_the_activities(sample_store):
    from metrics import bases

    con = store.connect(sample_store, read_only=True)
    assert bases.sources(con, "month", None, None).materialised
    ranges = [(None, None), (date(2025, 11, 1), date(2026, 10, 31)), (date(2026, 8, 1), date(2026, 10, 31)),
              (date(2026, 1, 1), date(2026, 3, 31)),  # a quarter
              (date(2025, 12, 29), date(2026, 3, 8)), (date(2026, 2, 2), date(2026, 2, 15)),  # weeks
              (None, date(2026, 4, 30)), (date(2026, 5, 4), None)]
    for start, end in ranges:
        for top in (20, 100_000):  # the page's twenty, and every contributor
            want = con.execute(CHAMPIONS_FROM_ACTIVITIES, {"from_date": start, "to_date": end, "top": top}).pl()
            assert_frame_equal(champions(con, start, end, top), want, check_exact=True)
            assert want["replies_received"].sum() > 0
            # every contributor: some in one month only
            assert want.height == 20 if top == 20 else (want.height > 20 and want["active_months"].min() == 1)
    con.close()


def test_results_stored_by_another_version_are_not_current(tiny_store, monkeypatch):
    """A result stored by a version whose frames had another shape is never served: the page
    computes it afresh (a silos frame without ``cross_silo_share`` would break the Network page)."""
    settings = Settings.load(None, env={}, min_group_size=1)
    with store.writing(tiny_store) as con:
        results.precompute(con, settings)
    con = store.connect(tiny_store, read_only=True)
    every = frozenset(k for (k,) in con.execute("select key from m_results").fetchall())
    # 160, and communities once, responsiveness and lifecycle per grain for the organisation and 6
    # attributes, each with the groups it left out in each period; the teams of each group per grain;
    # the lifecycle's cohort cells for the organisation and 6 attributes; the participation the
    # inactivity rules read, per grain; under a sponsor's minimum group size, the Overview's 57
    # measures with the groups each left out, and the groups of 6 attributes; the levels and the
    # frontline per grain by 5 attributes (every other), each with the groups it left out
    # (the 160 hold the teams flagged as of the end of the period before, per grain; they are now
    # as of the end of every period before the last one: metrics.teams.review_ends)
    from metrics.teams import review_ends

    facts = json.loads(con.execute("select facts from m_results_facts").fetchone()[0])
    first_day, last_day = date.fromisoformat(facts["first_day"]), date.fromisoformat(facts["last_day"])
    reviews = 0
    for p in ("week", "month", "quarter"):
        ends = {results.previous_as_of(p, last_day), *review_ends(p, first_day, last_day)}
        reviews += len(ends | {results.previous_as_of(p, end) for end in ends})
    assert reviews == sum(json.loads(k)[0] == "inactive-teams" and json.loads(k)[5] is not None for k in every)
    assert len(every) == 160 - 3 + reviews + 1 + 2 * 3 * 2 * 7 + 3 + 7 + 3 + 2 * 57 + 6 + 3 * 2 * 2 * 5
    assert results.current_keys(con) == every
    assert sum(json.loads(k)[0] == results.LOOKBACK_KEY[0] for k in every) == 3
    monkeypatch.setattr(results, "RESULTS_VERSION", "older")
    assert results.current_keys(con) == frozenset()
    params = MetricParams(by="department", min_group_size=1, extra={"silo_threshold": settings.silo_threshold})
    assert results.lookup(con, "silos", params) is None


def test_every_attribute_in_one_query_gives_the_rows_of_a_query_by_it_alone(sample_store):
    """What a load stores for every attribute, computed in one query per grain (the people
    unpivoted by attribute), is attribute by attribute what a query grouped by it alone gives,
    under either attribution (the groups people held on each day, or today's); in today's
    organisation each attribute's groups hold the organisation's headcount between them, in the
    organisation as it was a person who moved in a period counts in both groups."""
    from metrics import bases, lifecycle, responsiveness
    from metrics.leadership import _compare, leaders_by
    from metrics.participation import participation_frame, participation_frames

    con = store.connect(sample_store, read_only=True)
    last = status.status(con)["last_activity"].date()
    moved = set()
    for period, start in (("week", None), ("month", None), ("quarter", None), ("month", date(last.year, last.month, 1))):
        for attribution in (bases.AS_IT_WAS, bases.TODAY):
            frames = participation_frames(con, results.ALL_BYS, period, start, attribution=attribution)
            org = frames["organisation"].select("period", "headcount")
            assert org.height > 0
            for by in results.ALL_BYS:
                assert_frame_equal(frames[by], participation_frame(con, [by], period, start, attribution=attribution),
                                   check_exact=True)
                per_period = frames[by].group_by("period").agg(pl.col("headcount").sum()).sort("period")
                if attribution == bases.TODAY:
                    assert_frame_equal(per_period, org.sort("period"), check_exact=True)
                else:
                    both = per_period.join(org, on="period", suffix="_org")
                    assert (both["headcount"] >= both["headcount_org"]).all()
                    if (both["headcount"] > both["headcount_org"]).any():
                        moved.add(by)
            leaders = leaders_by(con, results.ALL_BYS, period, start, None, 5, attribution)
            for by in results.ALL_BYS:
                level = "cast(p.level as varchar) in ('executive', 'manager')"
                want, left_out, _, hidden = _compare(con, "level", by, period, start, None, 5, counted=level,
                                                     attribution=attribution)
                assert_frame_equal(leaders[by][0], want.filter(pl.col("level").is_in(["executive", "manager"])),
                                   check_exact=True)
                assert leaders[by][1] == left_out
            # the lifecycle and responsiveness, on the headcounts of the same attribution
            rows = responsiveness.responsiveness_by(con, results.ALL_BYS, period, start, None, 5, heads=frames,
                                                    attribution=attribution)
            contributors = lifecycle.lifecycle_rows_by(con, results.ALL_BYS, period, start, None, 5, heads=frames,
                                                       attribution=attribution)
            for by in results.ALL_BYS:
                one = responsiveness.responsiveness_by(con, [by], period, start, None, 5, heads=frames,
                                                       attribution=attribution)[by]
                assert_frame_equal(rows[by][0], one[0], check_exact=True)
                assert (rows[by][1], rows[by][2].rows()) == (one[1], one[2].rows())
                one = lifecycle.lifecycle_rows_by(con, [by], period, start, None, 5, heads=frames,
                                                  attribution=attribution)[by]
                assert_frame_equal(contributors[by][0], one[0], check_exact=True)
                assert (contributors[by][1], contributors[by][2].rows()) == (one[1], one[2].rows())
    in_directory = {}
    for attribution in (bases.AS_IT_WAS, bases.TODAY):
        over_range = lifecycle.funnel_and_cohorts_by(con, results.ALL_BYS, None, None, 5, 3, attribution)
        for by in results.ALL_BYS:
            funnel, cohorts = lifecycle.funnel_and_cohorts_by(con, [by], None, None, 5, 3, attribution)[by]
            assert_frame_equal(over_range[by][0], funnel, check_exact=True)
            assert_frame_equal(over_range[by][1], cohorts, check_exact=True)
        in_directory[attribution] = {by: over_range[by][0]["in_directory"].sum()
                                     for by in ("organisation", "department", "frontline", "level")}
    # the sample's departments split in October: people moved between them within a period
    assert "department" in moved, moved
    # the directory's people are each in the funnel of every attribute today, once; as it was, the
    # people of the split's departments in two of them (the groups shown: those of more than 4 people)
    assert len(set(in_directory[bases.TODAY].values())) == 1
    assert in_directory[bases.AS_IT_WAS]["department"] > in_directory[bases.AS_IT_WAS]["organisation"]
    assert in_directory[bases.AS_IT_WAS]["organisation"] == in_directory[bases.TODAY]["organisation"]


def test_the_results_a_load_computes_for_every_attribute_at_once_equal_each_one_alone(sample_store):
    """The 90/9/1 split and the personas (the range's people read once for every attribute) and the
    cross-silo share per period (one query per grain from the stored group ties), as the load
    stores them, are row for row and figure for figure what the metric computes for one attribute."""
    con = store.connect(sample_store, read_only=True)
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    keys = results.current_keys(con)
    checked = {}
    for name, by, period, extra in results.default_calls(settings):
        if name not in ("inequality", "personas") and not (name == "silos" and extra.get("per_period")):
            continue
        params = MetricParams(by=by, period=period, min_group_size=settings.min_group_size, extra=extra)
        stored = results.lookup(con, name, params, keys)
        live = registry.get(name)(con, params)
        assert stored is not None, (name, by, period)
        assert_frame_equal(stored.rows, live.rows, check_exact=True)
        assert stored.suppressed_groups == live.suppressed_groups, (name, by, period)
        assert list(stored.extra) == list(live.extra), (name, by, period)
        for k, value in live.extra.items():
            if isinstance(value, pl.DataFrame):
                assert_frame_equal(stored.extra[k], value, check_exact=True)
            elif k == "periods":
                assert_frame_equal(pl.DataFrame(stored.extra[k]), pl.DataFrame(value), check_exact=True)
            else:
                assert stored.extra[k] == value, (name, by, period, k)
        checked[name] = checked.get(name, 0) + 1
    assert checked == {"inequality": 6, "personas": 6, "silos": 18}
    con.close()


def test_the_results_read_one_attribute_at_a_time_equal_those_read_for_every_attribute_at_once(
        sample_store, tmp_path, monkeypatch):
    """Under a budget the frames of every attribute at once would take too much of (here: any), the
    load reads each grain's participation, metrics and frames before suppression one attribute at
    a time: the stored results are row for row and figure for figure those read for every attribute
    at once."""
    db = tmp_path / "apart.duckdb"
    db.write_bytes(Path(sample_store).read_bytes())
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})

    def stored_results() -> dict:
        with store.writing(db) as con:
            done = results.precompute(con, settings, full=True)
            found = {k: (rows, suppressed, json.loads(extra)) for k, rows, suppressed, extra in
                     con.execute("select key, rows, suppressed, extra from m_results").fetchall()}
        return done, found

    together, at_once = stored_results()
    monkeypatch.setattr(results, "APART_SHARE", 0.0)
    alone, one_by_one = stored_results()
    # and under a budget one attribute's frames of two periods would take too much of: a period at a time
    monkeypatch.setattr(results, "SPAN_SHARE", 0.0)
    spanned, period_by_period = stored_results()
    assert together["one_attribute_at_a_time"] == [] and alone["one_attribute_at_a_time"] == ["week", "month", "quarter"]
    assert spanned["one_attribute_at_a_time"] == ["week", "month", "quarter"]
    assert together["read_in_spans"] == {} and alone["read_in_spans"] == {}
    con = store.connect(sample_store, read_only=True)
    weeks, months, quarters = (len(results.spans(con, p, None, 1)) for p in ("week", "month", "quarter"))
    con.close()
    assert weeks > months > quarters > 1
    assert {k: v for k, v in spanned["read_in_spans"].items() if k.endswith(" team")} == {
        "week team": weeks, "month team": months, "quarter team": quarters}
    assert together["results"] == alone["results"] == spanned["results"]
    assert sorted(one_by_one) == sorted(at_once) == sorted(period_by_period)
    for k, (rows, suppressed, extra) in at_once.items():
        if json.loads(k)[0] in results.WHOLE_HISTORY:  # the person graph's: its NMI a float summed in no set order
            continue
        for found in (one_by_one, period_by_period):
            assert found[k][1] == suppressed, k
            assert_frame_equal(results.frame_of(found[k][0]), results.frame_of(rows), check_exact=True)
            _assert_same(results._decode(found[k][2]), results._decode(extra), k)


def _assert_same(found, expected, where) -> None:
    """``found`` is ``expected``: frames row for row, anything else equal."""
    if isinstance(expected, pl.DataFrame):
        assert_frame_equal(found, expected, check_exact=True)
    elif isinstance(expected, dict):
        assert list(found) == list(expected), where
        for k, value in expected.items():
            _assert_same(found[k], value, (where, k))
    elif isinstance(expected, list):
        assert len(found) == len(expected), where
        for f, e in zip(found, expected):
            _assert_same(f, e, where)
    else:
        assert found == expected, where



def test_the_results_computed_in_two_streams_are_those_of_one_stream(sample_store, tmp_path):
    """The load computes the stored results in two streams at once (the calls of the whole range and
    of each grain, :func:`metrics.results.precompute`), each on its own cursor, or in one with
    DuckDB's ``threads`` at 1: the same results, stored in the same order. (A day's load in two
    streams: ``tests/test_refresh_periods.py``.)"""
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    runs = {}
    for threads in (1, 2):
        db = tmp_path / f"threads{threads}.duckdb"
        db.write_bytes(Path(sample_store).read_bytes())
        with store.writing(db) as con:
            con.execute(f"set threads = {threads}")
            done = results.precompute(con, settings, full=True)
            runs[threads] = done, con.execute("select key, rows, suppressed, extra from m_results").fetchall()
    (one, one_found), (two, two_found) = runs[1], runs[2]
    assert one["streams"] == 1 and two["streams"] == 2
    assert two["results"] == one["results"] == 255
    assert set(two["cpu_seconds"]) == set(one["cpu_seconds"])
    assert [row[0] for row in two_found] == [row[0] for row in one_found]  # stored in the same order
    for (k, rows, suppressed, extra), (_, rows_two, suppressed_two, extra_two) in zip(one_found, two_found):
        assert suppressed_two == suppressed, k
        assert_frame_equal(results.frame_of(rows_two), results.frame_of(rows), check_exact=True)
        _assert_same(results._decode(json.loads(extra_two)), results._decode(json.loads(extra)), k)


def test_out_of_memory_in_one_stream_stops_the_other_and_refuses_the_load(sample_store, tmp_path, monkeypatch):
    """When DuckDB runs out of memory in one stream, the other stops after its call and the load is
    refused as with one stream."""
    db = tmp_path / "refused.duckdb"
    db.write_bytes(Path(sample_store).read_bytes())
    settings = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={})
    original, asked = results._with_hidden, []

    def with_hidden(con, name, params, common=None):
        asked.append(name)
        if name == "communities":
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB")
        return original(con, name, params, common)

    monkeypatch.setattr(results, "_with_hidden", with_hidden)
    with store.writing(db) as con:
        with pytest.raises(store.StoreError, match="stored results"):
            results.precompute(con, settings, full=True)
    # the whole range's calls fail at their first; the week's, in the other stream, stop after theirs
    assert "communities" in asked and len(asked) < 5
