"""Communities, responsiveness and lifecycle on a hand-built set of threads (docs/metrics.md,
"Communities", "Responsiveness", "Lifecycle"): replies at known times, a thread never answered,
a community that goes idle, a newcomer who lapses; private conversations pooled, never listed."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import registry
from metrics.lifecycle import lifecycle
from metrics.measure import MetricParams
from metrics.responsiveness import responsiveness
from metrics.spaces import POOLED, communities
from ruche.store import connect


@pytest.fixture
def con():
    """Ten people in Ops (1-5) and Tax (6-10); person 11 (Ops) arrives in February and lapses.

    Space 1 'Cafe' (public): thread a by 1 on 2 Jan 09:00, replied by 2 at 11:00 (2 h) and 3 at 12:00;
    thread b by 2 on 3 Jan 09:00, replied by 2 only (its author: never answered); thread c by 6 on
    1 Mar 08:00, replied by 7 on 2 Mar 08:00 (24 h); thread d by 4 on 20 Mar 10:00, replied by 5
    on 20 Mar 16:00 (6 h) — Cafe is alive to the end (31 Mar).
    Space 2 'Old club' (public): 6 people (5-10) post in January and never again: idle.
    Space 3 (a direct conversation): 1 and 6, a thread answered after 1 h: pooled, never listed.
    Space 4 'Tiny' (public): 2 people: not listed.
    """
    c = connect(":memory:")
    c.execute("insert into people (person_key, person_id, department, in_directory) select i, 'p' || i, "
              "case when i <= 5 or i = 11 then 'Ops' else 'Tax' end, true from range(1, 12) t(i)")
    c.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) values "
              "(1, 'x', 's1', 'Cafe', 'group', false), (2, 'x', 's2', 'Old club', 'group', false), "
              "(3, 'x', 's3', null, 'direct', true), (4, 'x', 's4', 'Tiny', 'group', false)")
    rows = [
        (1, '2026-01-02 09:00', 1, 'post', 1, 'a'), (2, '2026-01-02 11:00', 2, 'reply', 1, 'a'),
        (3, '2026-01-02 12:00', 3, 'reply', 1, 'a'),
        (4, '2026-01-03 09:00', 2, 'post', 1, 'b'), (5, '2026-01-03 10:00', 2, 'reply', 1, 'b'),
        (6, '2026-03-01 08:00', 6, 'post', 1, 'c'), (7, '2026-03-02 08:00', 7, 'reply', 1, 'c'),
        (8, '2026-03-20 10:00', 4, 'post', 1, 'd'), (9, '2026-03-20 16:00', 5, 'reply', 1, 'd'),
        (10, '2026-03-31 10:00', 8, 'reaction', 1, 'd'),
        *[(20 + i, '2026-01-10 10:00', 4 + i, 'post', 2, f'o{i}') for i in range(1, 7)],
        (30, '2026-01-04 09:00', 1, 'post', 3, 'dm'), (31, '2026-01-04 10:00', 6, 'reply', 3, 'dm'),
        (32, '2026-01-05 09:00', 9, 'post', 4, 't'), (33, '2026-01-05 09:30', 10, 'reply', 4, 't'),
        # the newcomer: arrives in February (a post), gone in March
        (40, '2026-02-10 09:00', 11, 'post', 1, 'n'),
    ]
    c.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, "
                  "thread_ref, run_id) values (?, 'x', ?, ?, ?, ?, ?, 1)", rows)
    return c


def test_communities_exact(con):
    rows, hidden, org = communities(con, min_group_size=5)
    assert rows.select("community", "members", "threads", "threads_answered", "first_reply_median_hours",
                       "first_reply_p90_hours", "idle", "last_contribution").rows() == [
        # Cafe: threads a (2 h), b (never), c (24 h), d (6 h), n (never): median 6 h, p90 between 6 and 24
        ("Cafe", 9, 5, 3, 6.0, pytest.approx(6 + 0.8 * 18), False, date(2026, 3, 20)),
        ("Old club", 6, 6, 0, None, None, True, date(2026, 1, 10)),
    ]
    # the direct conversation (2 people) and Tiny (2) are not listed; the pool is under 5 people
    assert POOLED not in rows["community"].to_list() and hidden == 2
    assert org["communities"] == 3 and org["idle"] == 2  # Old club and Tiny: nothing since January
    assert org["threads"] == 13 and org["threads_answered"] == 5
    assert org["unanswered_share"] == pytest.approx(8 / 13)
    assert org["first_reply_median_hours"] == 2.0  # 0.5, 1, 2, 6, 24 hours


def test_the_times_to_a_first_reply_kept_sorted_give_the_same_quantiles(con):
    """The quantiles picked from the times kept in memory (the dashboard's, once per store) are
    those DuckDB's ``quantile_cont`` takes over the same threads, to the bit."""
    from metrics.materialise import refresh
    from metrics.spaces import EVERY, POOL, keep_replies, reply_quantiles

    refresh(con)
    kept = keep_replies(con)
    # Cafe's answered threads a (2 h), c (24 h), d (6 h); the pool's (1 h); Tiny's (0.5 h)
    assert list(kept.keys) == [POOL, 1, 4] and list(kept.hours) == [1.0, 2.0, 6.0, 24.0, 0.5]
    got = reply_quantiles(kept, date(2026, 1, 1), date(2026, 3, 31))
    # Cafe's 90th percentile at rank 1.8 of 3 (between 6 and 24 h); every thread's at 3.6 of 5
    assert got.rows() == [(POOL, 1.0, 1.0), (1, 6.0, pytest.approx(6 + 0.8 * 18)), (4, 0.5, 0.5),
                          (EVERY, 2.0, pytest.approx(6 + 0.6 * 18))]
    # thread c (1 March) is answered on 2 March: not by the end of a range closing on 1 March
    assert reply_quantiles(kept, date(2026, 1, 1), date(2026, 3, 1)).filter(pl.col("group") == 1).rows() == [
        (1, 2.0, 2.0)]
    assert reply_quantiles(kept, date(2026, 4, 1), date(2026, 4, 30)).is_empty()
    for r in [(None, None), (date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 1, 3), date(2026, 3, 1)),
              (date(2026, 3, 2), date(2026, 3, 31)), (date(2026, 1, 2), date(2026, 1, 2))]:
        want, got = communities(con, *r, min_group_size=1), communities(con, *r, min_group_size=1, kept=kept)
        assert_frame_equal(got[0], want[0], check_exact=True)
        assert got[1:] == want[1:], r


def test_the_quantiles_kept_sorted_equal_duckdbs_over_many_ranges_of_the_sample(sample_store):
    import random

    from metrics.bases import freshness_held
    from metrics.spaces import keep_replies

    c = connect(sample_store, read_only=True)
    kept = keep_replies(c)
    assert len(kept.hours) == c.execute("select count(*) from m_space_reply_time").fetchone()[0]
    first, last = c.execute("select min(day), max(day) from m_space_day").fetchone()
    pick = random.Random(7)
    ranges = [(None, None), (first, last), (first, first), (last, last)]
    for _ in range(40):
        a = first + timedelta(days=pick.randrange((last - first).days + 1))
        ranges.append((a, min(a + timedelta(days=pick.randrange(0, 400)), last)))
    with freshness_held(c):
        for r in ranges:
            want, got = communities(c, *r, min_group_size=1), communities(c, *r, min_group_size=1, kept=kept)
            assert_frame_equal(got[0], want[0], check_exact=True)
            assert got[1:] == want[1:], r
    c.close()


def test_readers_only_where_the_source_reports_reads_per_space(con):
    """A read with no space says nothing of a space's readers: none (not 0) until a read of the
    space itself, before and after the bases are stored."""
    from metrics.materialise import refresh

    def readers() -> list:
        rows, _, _ = communities(con, min_group_size=1)
        return rows.filter(pl.col("community") == "Cafe")["readers"].to_list()

    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, run_id) "
                "values (50, 'x', '2026-03-05 09:00', 8, 'read', null, 1)")
    assert readers() == [None]
    refresh(con)
    assert readers() == [None]
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, run_id) "
                "values (51, 'x', '2026-03-06 09:00', 9, 'read', 1, 1)")
    assert readers() == [1]   # the bases stale: from the activities
    refresh(con)
    assert readers() == [1]


def test_the_organisations_funnel_from_the_bits_kept_equals_the_querys_over_many_ranges_of_the_sample(sample_store):
    """The whole organisation's onboarding funnel counted from each person's bits of months kept in
    memory (the dashboard's, once per store) and the days at the range's ends equals the query's,
    under either attribution: ranges of whole months, whole quarters, cut months, one day."""
    import random

    from metrics.bases import AS_IT_WAS, TODAY, freshness_held
    from metrics.lifecycle import funnel_and_cohorts_by, keep_bits

    c = connect(sample_store, read_only=True)
    kept = keep_bits(c)
    assert len(kept.people) == c.execute("select count(*) from people").fetchone()[0]
    first, last = c.execute("select min(day), max(day) from m_person_day").fetchone()
    pick = random.Random(11)
    ranges = [(None, None), (first, last), (first, first), (last, last), (date(2026, 1, 1), date(2026, 6, 30))]
    for _ in range(30):
        a = first + timedelta(days=pick.randrange((last - first).days + 1))
        ranges.append((a, min(a + timedelta(days=pick.randrange(0, 400)), last)))
    with freshness_held(c):
        for r in ranges:
            for a in (AS_IT_WAS, TODAY):
                want = funnel_and_cohorts_by(c, ["organisation"], *r, 5, 3, a)["organisation"]
                got = funnel_and_cohorts_by(c, ["organisation"], *r, 5, 3, a, kept=kept)["organisation"]
                assert_frame_equal(got[0], want[0], check_exact=True)
                assert_frame_equal(got[1], want[1], check_exact=True)
    c.close()


def test_health_score_parts(con):
    cafe = communities(con, min_group_size=5)[0].row(0, named=True)
    # members 9, all active; 3 of 5 threads answered, all 3 within a day (2 h, 6 h, 24 h: a day counts);
    # 4 replies by others / 5 threads (author's own reply counted: 5 replies) -> 1 per thread / 2;
    # momentum: contributions from 2 March (the last 30 days: c's reply, d, d's reply) against the 30
    # days before (n, c's post): at most 1
    assert (cafe["part_active"], cafe["part_answered"], cafe["part_quick"], cafe["part_depth"]) == (
        1.0, 0.6, 0.6, 0.5)
    assert (cafe["recent_contributions"], cafe["previous_contributions"], cafe["trend"]) == (3, 2, 1)
    assert cafe["part_momentum"] == 1.0
    # 25 + 15 + 12 + 7.5 + 15 = 74.5, rounded half up
    assert cafe["health"] == 75


def test_private_conversations_pooled_never_listed(con):
    rows, _, _ = communities(con, min_group_size=2)
    assert rows.filter(pl.col("kind") == "direct").is_empty()
    pooled = rows.filter(pl.col("community") == POOLED).row(0, named=True)
    assert (pooled["members"], pooled["threads"], pooled["threads_answered"], pooled["first_reply_median_hours"]) == (
        2, 1, 1, 1.0)
    assert pooled["idle"] is None
    assert set(rows["community"]) == {"Cafe", "Old club", "Tiny", POOLED}


def test_communities_is_the_cli_name_and_louvain_moved(con):
    result = registry.get("communities")(con, MetricParams(min_group_size=5))
    assert result.rows["community"].to_list() == ["Cafe", "Old club"]
    assert result.extra["hidden_unit"] == ("community", "communities", "members")
    assert "network-communities" in registry.names()


def test_responsiveness_per_group(con):
    rows, left_out = responsiveness(con, "department", "month", min_group_size=5)
    assert rows.select("period", "department", "threads", "threads_answered", "first_reply_median_hours").rows() == [
        ("2026-01", "Ops", 4, 2, 1.5),       # a (2 h), b (never), Old club's by 5 (never), the direct one (1 h)
        ("2026-01", "Tax", 6, 1, 0.5),       # Old club's 5 by Tax (6-10), never answered, and Tiny's (30 min)
        ("2026-02", "Ops", 1, 0, None),      # the newcomer's thread, never answered
        ("2026-02", "Tax", 0, 0, None),
        ("2026-03", "Ops", 1, 1, 6.0),
        ("2026-03", "Tax", 1, 1, 24.0),
    ]
    assert rows.filter(pl.col("period") == "2026-02")["unanswered_share"].to_list() == [1.0, None]
    assert left_out == 0


def test_lifecycle_newcomer_lapses(con):
    rows, _, funnel, cohorts = lifecycle(con, "organisation", "month", min_group_size=5)
    assert rows.select("period", "contributors", "new", "continuing", "returning", "lapsed",
                       "lapsed_newcomers").rows() == [
        ("2026-01", 9, 9, 0, 0, 0, 0),    # 1, 2, 3, 5-10
        ("2026-02", 1, 1, 0, 0, 9, 9),    # the newcomer (11); January's 9, new in the data's first month, lapse
        ("2026-03", 4, 1, 0, 3, 1, 1),    # 4 is new; 5, 6, 7 come back; the newcomer lapses, never back
    ]
    # by department: the newcomer (Ops) lapses in Ops; Tax's 6 and 7 came back
    by_dept = lifecycle(con, "department", "month", min_group_size=5)[0]
    assert by_dept.filter(pl.col("period") == "2026-03").select("department", "lapsed", "lapsed_newcomers").rows() == [
        ("Ops", 1, 1), ("Tax", 0, 0)]
    # by week: lapsed and, of them, those whose first contribution was the week before
    weeks = lifecycle(con, "organisation", "week", min_group_size=5)[0].filter(pl.col("lapsed") > 0)
    assert weeks.select("period", "lapsed", "lapsed_newcomers").rows() == [
        ("2026-W02", 3, 3),   # 1, 2, 3: first contributed in 2026-W01 (2-3 January), not in W02
        ("2026-W03", 6, 5),   # Old club's 5-10 (10 January); 6 had contributed in W01 already
        ("2026-W08", 1, 1),   # the newcomer: posted in 2026-W07 (10 February), never again
        ("2026-W10", 1, 0),   # 6, back in W09 (1 March), first contributed in W01
        ("2026-W11", 1, 0),   # 7, back in W10 (2 March)
        ("2026-W13", 2, 1),   # 4, new in W12 (20 March), and 5, back in W12
    ]
    assert funnel.select("in_directory", "seen", "reacted", "posted", "regular").row(0) == (11, 11, 11, 11, 0)
    # the January cohort (9 people): all active in January, nobody in February, 4 in March (5-8)
    january = cohorts.filter(pl.col("cohort") == "2026-01").select("months_after", "active", "share").rows()
    assert january == [(0, 9, 1.0), (2, 4, 4 / 9)]
    # the February cohort is one person: never shown
    assert cohorts.filter(pl.col("cohort") == "2026-02").is_empty()


def test_a_store_without_activity():
    """A directory loaded before any activity: every measure answers empty, with its columns."""
    con = connect(":memory:")
    con.execute("insert into people (person_key, person_id, department) select i, 'p' || i, 'Ops' from range(1, 6) t(i)")
    for name in ("communities", "responsiveness", "lifecycle"):
        result = registry.get(name)(con, MetricParams(min_group_size=5))
        assert result.rows.is_empty(), name
    rows, hidden, org = communities(con)
    assert (rows.height, hidden, org["communities"], org["idle"], org["threads"], org["unanswered_share"]) == (
        0, 0, 0, 0, 0, None)
    rows, _, funnel, cohorts = lifecycle(con)
    assert rows.columns == ["period", "department", "headcount", "contributors", "new", "continuing", "returning",
                            "lapsed", "lapsed_newcomers", "partial"]
    assert funnel.is_empty() and cohorts.is_empty()


def test_the_groups_activity_report_is_beside_the_community(con):
    """Where the groups activity report is loaded, its latest member and read counts up to the end
    of the range, matched by the group's display name."""
    con.execute("update spaces set source = 'viva-engage' where space_key = 1")
    con.execute("insert into usage_group_snapshots (source, group_name, report_date, period_days, member_count, "
                "read_count, run_id) values ('m365-engage-groups', 'Cafe', '2026-02-28', 30, 40, 300, 1), "
                "('m365-engage-groups', 'Cafe', '2026-03-30', 30, 42, 310, 1), "
                "('m365-engage-groups', 'Cafe', '2026-04-30', 30, 50, 999, 1)")
    cafe = communities(con, min_group_size=5)[0].row(0, named=True)
    assert (cafe["community"], cafe["members"], cafe["members_reported"], cafe["reads_reported"]) == (
        "Cafe", 9, 42, 310)
    assert cafe["readers"] is None  # no read of it in any export: unknown, not 0


def test_a_space_without_a_name_is_told_apart(con):
    con.execute("update spaces set name = null where space_key = 1")
    assert communities(con, min_group_size=5)[0]["community"].to_list() == ["(unnamed space 1)", "Old club"]


@pytest.fixture
def long_space():
    """One space over six years, across the blocks of 62 months the store keeps each person's
    months in (2020-01 is in the block of 2015-01 to 2020-02; 2024-01 and 2025-04 in the next,
    which ends in 2025-04; 2025-05 begins the one after):

    person 1: a post on 2020-01-15, a read on 2025-04-20, a post and a read on 2025-06-03;
    person 2: a post and a read on 2025-06-05; person 3: posts on 2025-04-02 and 2025-05-28;
    persons 4 and 5: posts on 2024-01-10; person 6: a post on 2025-05-15.
    """
    c = connect(":memory:")
    c.execute("insert into people (person_key, person_id, department, in_directory) "
              "select i, 'p' || i, 'Ops', true from range(1, 7) t(i)")
    c.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) values "
              "(1, 'x', 's1', 'Long', 'group', false)")
    rows = [(1, '2020-01-15 09:00', 1, 'post'), (2, '2025-04-20 09:00', 1, 'read'), (3, '2025-06-03 09:00', 1, 'post'),
            (4, '2025-06-03 10:00', 1, 'read'), (5, '2025-06-05 09:00', 2, 'post'), (6, '2025-06-05 10:00', 2, 'read'),
            (7, '2025-04-02 09:00', 3, 'post'), (8, '2025-05-28 09:00', 3, 'post'), (9, '2024-01-10 09:00', 4, 'post'),
            (10, '2024-01-10 09:00', 5, 'post'), (11, '2025-05-15 09:00', 6, 'post')]
    c.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, "
                  "thread_ref, run_id) values (?, 'x', ?, ?, ?, 1, null, 1)", rows)
    return c


#: (first, last): the active members and readers of the space over it, counted by hand.
LONG_RANGES = {
    (date(2025, 4, 1), date(2025, 6, 30)): (4, 2),    # whole months over two blocks: 1, 2, 3, 6; 1, 2
    (date(2025, 5, 1), date(2025, 6, 30)): (4, 2),    # one block: 1 (June), 2, 3 (May), 6; 1 (June), 2
    (date(2025, 4, 10), date(2025, 5, 20)): (2, 1),   # no whole month, day by day: 1 (a read), 6; 1
    (date(2025, 4, 10), date(2025, 6, 4)): (3, 1),    # May whole, its ends by day: 1 (a read, a post), 3, 6; 1
    (date(2025, 4, 2), date(2025, 5, 31)): (3, 1),    # 3 on a day before May and in it: once; 1 (a read), 6
    (date(2020, 1, 1), date(2025, 6, 30)): (6, 2),    # three blocks: everybody once; 1, 2
    (date(2025, 6, 1), date(2025, 6, 30)): (2, 2),    # one month: 1, 2
    (date(2025, 6, 4), date(2025, 6, 10)): (1, 1),    # a week: 2
    (date(2020, 2, 1), date(2025, 3, 31)): (2, 0),    # 4 and 5 only: 1's post of 2020-01 falls before
}


def test_active_members_over_whole_months_across_blocks_and_cut_months_are_counted_once(long_space):
    from metrics.bases import sources
    from metrics.materialise import refresh

    live = {r: communities(long_space, *r, min_group_size=1)[0] for r in LONG_RANGES}
    refresh(long_space)
    assert sources(long_space, "month", None, None).materialised
    # person 1 has a row in three blocks, each with the last month before it
    assert long_space.execute("select block, prev_month, prev_read_month from m_space_month where person_key = 1 "
                              "order by block").fetchall() == [(390, None, None), (391, 24240, None),
                                                               (392, 24303, 24303)]
    for r, (active, readers) in LONG_RANGES.items():
        rows, _, _ = communities(long_space, *r, min_group_size=1)
        assert rows.select("active_members", "readers").rows() == [(active, readers)], r
        assert_frame_equal(rows, live[r], check_exact=True)


def test_the_funnel_from_the_stored_bits_equals_it_from_the_activities_whole_quarters_counting_long_reports():
    """The same funnel before the bases are stored, from the bases' sums and from the stored bits.
    Six people in Ops: 1 only vouched for by a usage report of a 90-day window (its last
    activity on 10 February: seen in a quarter, never in a month); 2 posts on 20 January, 5
    February and 5 March (regular over three months); 3 reacts on 5 March."""
    from metrics._sql import sql
    from metrics.bases import AS_IT_WAS, TODAY, person_range_groups, sources
    from metrics.lifecycle import FUNNEL, funnel_and_cohorts_by
    from metrics.materialise import refresh
    from metrics.population import bounds_sql

    c = connect(":memory:")
    c.execute("insert into people (person_key, person_id, department, in_directory) "
              "select i, 'p' || i, 'Ops', true from range(1, 7) t(i)")
    c.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                  "values (?, 'x', ?, ?, ?, 1)",
                  [(1, '2026-01-20 09:00', 2, 'post'), (2, '2026-02-05 09:00', 2, 'post'),
                   (3, '2026-03-05 09:00', 2, 'post'), (4, '2026-03-05 10:00', 3, 'reaction')])
    c.execute("insert into usage_snapshots (source, person_key, report_date, period_days, last_activity, read_count, "
              "run_id) values ('m365', 1, '2026-03-31', 90, '2026-02-10', 5, 1)")
    # (first, last): in the directory, seen, reacted, posted, contributes regularly, counted by hand
    ranges = {
        (None, None): (6, 3, 2, 1, 1),                              # every quarter whole: 1 seen
        (date(2026, 1, 1), date(2026, 3, 31)): (6, 3, 2, 1, 1),     # the whole quarter
        (date(2026, 1, 1), date(2026, 2, 28)): (6, 1, 1, 1, 0),     # two months: 1's report is too long
        (date(2026, 1, 15), date(2026, 3, 31)): (6, 2, 2, 1, 1),    # days of January, February, March
        (date(2026, 2, 2), date(2026, 2, 8)): (6, 1, 1, 1, 0),      # a week
    }

    def funnels():
        return {(r, a): funnel_and_cohorts_by(c, ["organisation"], *r, 1, 3, a)["organisation"][0]
                for r in ranges for a in (AS_IT_WAS, TODAY)}

    # before any refresh, the funnel is counted from the activities: the same figures (the report
    # of a 90-day window vouches for the whole quarters of the range there too)
    assert not sources(c, "month", None, None).materialised
    stale = funnels()
    for r in ranges:
        for a in (AS_IT_WAS, TODAY):
            assert stale[(r, a)].select(FUNNEL).rows() == [ranges[r]], ("stale bases", r, a)
    refresh(c)
    assert sources(c, "month", None, None).materialised
    # the funnel as it reads the sums of the bases' rows over the range (its whole quarters, the
    # months around them, the days at its ends)
    live = {}
    for r in ranges:
        for a in (AS_IT_WAS, TODAY):
            src = sources(c, "month", *r)
            live[(r, a)] = c.execute(sql("lifecycle_funnel").format(
                bounds=bounds_sql(src.days), groups=person_range_groups(src, ["organisation"], a, months=True)),
                {"from_date": r[0], "to_date": r[1], "regular_months": 3}).pl().rename({"g0": "organisation"}).select(
                "organisation", *FUNNEL).with_columns(pl.col(FUNNEL).cast(pl.Int64))
    assert c.execute("select block, active_months, active_quarters, contributed_months from m_person_month "
                     "where person_key in (1, 2) order by person_key").fetchall() == [
        (405, 0, 16, 0),  # 2026-01 is month 24312, bit 12 of block 405 (from 2025-01); its quarter, bit 4
        (405, 7 << 12, 16, 7 << 12)]
    for (r, a), want in live.items():
        got = funnels()[(r, a)]
        assert got.select(FUNNEL).rows() == [ranges[r]], (r, a)
        assert_frame_equal(got, want, check_exact=True)


def test_the_funnel_from_the_stored_bits_over_months_of_two_blocks_counts_each_person_once():
    """A range whose whole months lie in two blocks of ``m_person_month`` (60 months each: block
    405 begins in January 2025) reads two rows of bits for a person active on both sides, one
    person still. Three people in Ops: 1 posts on 5 November, 5 December 2024 and 5 January
    2025; 2 posts on 10 December 2024; 3 reacts on 3 February 2025."""
    from metrics.bases import AS_IT_WAS, TODAY, sources
    from metrics.lifecycle import FUNNEL, funnel_and_cohorts_by, keep_bits
    from metrics.materialise import refresh

    c = connect(":memory:")
    c.execute("insert into people (person_key, person_id, department, in_directory) "
              "select i, 'p' || i, 'Ops', true from range(1, 4) t(i)")
    c.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                  "values (?, 'x', ?, ?, ?, 1)",
                  [(1, '2024-11-05 09:00', 1, 'post'), (2, '2024-12-05 09:00', 1, 'post'),
                   (3, '2025-01-05 09:00', 1, 'post'), (4, '2024-12-10 09:00', 2, 'post'),
                   (5, '2025-02-03 09:00', 3, 'reaction')])
    # (first, last): in the directory, seen, reacted, posted, contributes regularly, counted by hand
    ranges = {
        (date(2024, 11, 1), date(2025, 2, 28)): (3, 3, 3, 2, 1),    # four whole months, two blocks
        (date(2024, 11, 15), date(2025, 2, 28)): (3, 3, 3, 2, 0),   # 1's November post falls before
        (date(2024, 12, 1), date(2025, 1, 31)): (3, 2, 2, 2, 0),    # December and January
    }
    refresh(c)
    assert sources(c, "month", None, None).materialised
    assert c.execute("select block, count(*) from m_person_month group by all order by all").fetchall() == [
        (404, 2), (405, 2)]
    kept = keep_bits(c)
    for r, want in ranges.items():
        for a in (AS_IT_WAS, TODAY):
            got = funnel_and_cohorts_by(c, ["organisation"], *r, 1, 3, a)["organisation"][0]
            assert got.select(FUNNEL).rows() == [want], (r, a)
            # the same from the bits kept in memory
            assert_frame_equal(funnel_and_cohorts_by(c, ["organisation"], *r, 1, 3, a, kept=kept)["organisation"][0],
                               got, check_exact=True)


def _thread_counts(c) -> list[tuple]:
    return c.execute("select space_key, day, prev_day, reply_day, fast, threads from m_space_thread_count "
                     "order by all").fetchall()


def _reply_times(c) -> list[tuple]:
    return c.execute("select space_key, day, prev_day, reply_day, seconds from m_space_reply_time "
                     "order by all").fetchall()


def test_the_threads_counted_per_space_and_day_after_a_load_equal_a_rebuild(con):
    """A load splices the threads' counts per space and day (``m_space_thread_count``) and their
    times to a first reply (``m_space_reply_time``) for the spaces and days of the threads it
    posted or replied in, before and after: a day added, a
    late reply to a thread of three months before (answered, not within a day), a post on a day
    two months back (its author posting again in a thread they started): each equal to the
    counts rebuilt from scratch, and the communities over the range read from them equal to the
    figures of the posts."""
    from metrics.materialise import refresh

    assert refresh(con)["mode"] == "full"
    # Cafe on 3 January: thread b, never answered by someone else
    assert [r for r in _thread_counts(con) if r[0] == 1 and r[1] == date(2026, 1, 3)] == [
        (1, date(2026, 1, 3), None, None, None, 1)]
    loads = [
        # a day added: a new thread in Cafe, answered within the hour
        [(50, '2026-04-01 09:00', 3, 'post', 1, 'e'), (51, '2026-04-01 09:30', 4, 'reply', 1, 'e')],
        # a late reply: thread b of 3 January answered on 2 April by 6
        [(52, '2026-04-02 09:00', 6, 'reply', 1, 'b')],
        # a day two months back: 1 posts again in thread a on 5 February, answered by 3 on 6 February
        [(53, '2026-02-05 09:00', 1, 'post', 1, 'a'), (54, '2026-02-06 08:00', 3, 'reply', 1, 'a')],
    ]
    for run, rows in enumerate(loads, start=2):
        con.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, "
                        f"thread_ref, run_id) values (?, 'x', ?, ?, ?, ?, ?, {run})", rows)
        assert refresh(con)["mode"] == "incremental", run
        spliced = _thread_counts(con), _reply_times(con)
        con.execute("delete from m_state")   # stale: the next refresh rebuilds every base
        assert refresh(con)["mode"] == "full"
        assert spliced == (_thread_counts(con), _reply_times(con)), run
    assert [r for r in _thread_counts(con) if r[0] == 1] == [
        (1, date(2026, 1, 2), None, date(2026, 1, 2), True, 1),      # a, 2 h
        (1, date(2026, 1, 3), None, date(2026, 4, 2), False, 1),     # b, answered 90 days later
        (1, date(2026, 2, 5), date(2026, 1, 2), date(2026, 2, 6), True, 1),   # a again, 23 h
        (1, date(2026, 2, 10), None, None, None, 1),                 # n, never answered
        (1, date(2026, 3, 1), None, date(2026, 3, 2), True, 1),      # c, 24 h
        (1, date(2026, 3, 20), None, date(2026, 3, 20), True, 1),    # d, 6 h
        (1, date(2026, 4, 1), None, date(2026, 4, 1), True, 1),      # e, 30 min
    ]
    # the times to a first reply: the answered posts only, n never
    assert [r for r in _reply_times(con) if r[0] == 1] == [
        (1, date(2026, 1, 2), None, date(2026, 1, 2), 7200.0),
        (1, date(2026, 1, 3), None, date(2026, 4, 2), 89 * 86400.0),
        (1, date(2026, 2, 5), date(2026, 1, 2), date(2026, 2, 6), 23 * 3600.0),
        (1, date(2026, 3, 1), None, date(2026, 3, 2), 24 * 3600.0),
        (1, date(2026, 3, 20), None, date(2026, 3, 20), 6 * 3600.0),
        (1, date(2026, 4, 1), None, date(2026, 4, 1), 1800.0),
    ]
    # Cafe over February and March: a (1's post again: its previous day falls before), n, c, d;
    # b started before; over January to March, b is unanswered by the end (its reply came in April)
    stored = {r: communities(con, *r, min_group_size=1) for r in
              [(date(2026, 2, 1), date(2026, 3, 31)), (date(2026, 1, 1), date(2026, 3, 31)),
               (date(2026, 1, 1), date(2026, 4, 30)), (date(2026, 2, 6), date(2026, 4, 1))]}
    cafe = {r: found[0].filter(pl.col("community") == "Cafe").select(
        "threads", "threads_answered", "first_reply_median_hours").row(0) for r, found in stored.items()}
    assert cafe == {
        (date(2026, 2, 1), date(2026, 3, 31)): (4, 3, 23.0),
        (date(2026, 1, 1), date(2026, 3, 31)): (5, 3, 6.0),      # a started on 2 January; b, n unanswered
        (date(2026, 1, 1), date(2026, 4, 30)): (6, 5, 6.0),      # b answered, e
        (date(2026, 2, 6), date(2026, 4, 1)): (4, 3, 6.0),       # n, c, d, e
    }
    con.execute("delete from m_state")
    for r, (rows, hidden, org) in stored.items():   # the same from the posts, on the fly
        live = communities(con, *r, min_group_size=1)
        assert_frame_equal(rows, live[0], check_exact=True)
        assert (hidden, org) == live[1:], r


def _cohorts_shown_one_by_one(sizes: pl.DataFrame, by: str, groups: pl.DataFrame, k: int) -> pl.DataFrame:
    """The cohorts' second rule as it reads: in each cohort, the smallest shown cell goes while the
    people hidden number 1 to k - 1."""
    from metrics.suppression import decide

    cells = decide(sizes, by, "cohort_size", k, within=["cohort"])[0].join(groups, on=by, how="semi")
    kept = []
    for (cohort,), part in sizes.group_by(["cohort"], maintain_order=True):
        total = part["cohort_size"].sum()
        shown = cells.filter(pl.col("cohort") == cohort).sort("cohort_size", by)
        while shown.height and 0 < total - shown["cohort_size"].sum() < k:
            shown = shown.slice(1)
        kept.append(shown)
    return pl.concat(kept) if kept else sizes.clear()


def test_the_cohorts_shown_are_those_the_rule_one_cell_at_a_time_shows():
    """:func:`metrics.lifecycle._cohorts_shown` decides every cohort at once: the same cells as
    dropping the smallest one at a time, on 2,000 drawn cases (outsiders, hidden groups, minimum
    sizes from 1 to 10), and on one spelled out."""
    import random

    from metrics.lifecycle import _cohorts_shown

    sizes = pl.DataFrame({"d": ["a", "b", "c", "a", "b"], "cohort": ["2026-01"] * 3 + ["2026-02"] * 2,
                          "cohort_size": [2, 10, 6, 7, 9]})
    shown = _cohorts_shown(sizes, "d", pl.DataFrame({"d": ["a", "b", "c"]}), 5)
    # January: a's 2 are hidden, so c's 6 go with them; February: nobody hidden, both shown
    assert sorted(shown.select("d", "cohort").rows()) == [("a", "2026-02"), ("b", "2026-01"), ("b", "2026-02")]
    draw = random.Random(7)
    for _ in range(2000):
        names = [f"g{i}" for i in range(draw.randint(1, 8))] + (["External"] if draw.random() < 0.2 else [])
        months = [f"2026-{m:02d}" for m in range(1, draw.randint(2, 6))]
        sizes = pl.DataFrame([(g, m, draw.choice([1, 2, 3, 4, 5, 6, 8, 12, 30])) for g in names for m in months
                              if draw.random() < 0.8],
                             schema={"d": pl.Utf8, "cohort": pl.Utf8, "cohort_size": pl.Int64}, orient="row")
        groups = pl.DataFrame({"d": [g for g in names if draw.random() < 0.8]}, schema={"d": pl.Utf8})
        k = draw.choice([1, 3, 5, 10])
        assert_frame_equal(_cohorts_shown(sizes, "d", groups, k).sort("d", "cohort"),
                           _cohorts_shown_one_by_one(sizes, "d", groups, k).sort("d", "cohort"))


def _month_counts(c) -> list[tuple]:
    return c.execute("select space_key, read, month, prev_month, people from m_space_month_count "
                     "order by all").fetchall()   # (a null last)


def test_the_people_counted_per_space_and_month_are_those_of_the_bits(long_space):
    """``m_space_month_count``: the people of each space and month by their previous month in it
    (month numbers: 2020-01 is 24240, 2024-01 24288, 2025-04 24303): person 1's months 2020-01,
    2025-04 and 2025-06 each after the one before, across the blocks; 3's May after April."""
    from metrics.materialise import refresh

    refresh(long_space)
    assert _month_counts(long_space) == [
        (1, False, 24240, None, 1),      # 1
        (1, False, 24288, None, 2),      # 4, 5
        (1, False, 24303, 24240, 1),     # 1 (a read)
        (1, False, 24303, None, 1),      # 3
        (1, False, 24304, 24303, 1),     # 3
        (1, False, 24304, None, 1),      # 6
        (1, False, 24305, 24303, 1),     # 1
        (1, False, 24305, None, 1),      # 2
        (1, True, 24303, None, 1),       # 1's read of April
        (1, True, 24305, 24303, 1),      # 1
        (1, True, 24305, None, 1),       # 2
    ]


@pytest.fixture
def edges():
    """Space 1 'Hall' (public), spaces 2 and 3 (direct conversations: the pool).

    Hall: person 1 posts on 15 January, 25 February and 10 March 2026, 2 on 24 February, 3 on
    1 April. Space 2: 1 on 26 February, 4 on 2 March; space 3: 1 on 5 March, 4 on 20 March,
    5 on 23 February.
    """
    c = connect(":memory:")
    c.execute("insert into people (person_key, person_id, department, in_directory) "
              "select i, 'p' || i, 'Ops', true from range(1, 8) t(i)")
    c.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) values "
              "(1, 'x', 's1', 'Hall', 'group', false), (2, 'x', 's2', null, 'direct', true), "
              "(3, 'x', 's3', null, 'direct', true)")
    rows = [(1, '2026-01-15 09:00', 1, 1), (2, '2026-02-25 09:00', 1, 1), (3, '2026-03-10 09:00', 1, 1),
            (4, '2026-02-24 09:00', 2, 1), (5, '2026-04-01 09:00', 3, 1),
            (6, '2026-02-26 09:00', 1, 2), (7, '2026-03-02 09:00', 4, 2),
            (8, '2026-03-05 09:00', 1, 3), (9, '2026-03-20 09:00', 4, 3), (10, '2026-02-23 09:00', 5, 3)]
    c.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, "
                  "thread_ref, run_id) values (?, 'x', ?, ?, 'post', ?, null, 1)", rows)
    return c


#: (first, last): Hall's active members and the pool's, counted by hand.
EDGE_RANGES = {
    (date(2026, 2, 23), date(2026, 3, 31)): (2, 3),   # March whole, its edge days: 1 (both) once, 2; 1, 4, 5
    (date(2026, 3, 1), date(2026, 3, 31)): (1, 2),    # March: 1; 1, 4
    (date(2026, 1, 1), date(2026, 3, 31)): (2, 3),    # three months: 1 once, 2; 1, 4, 5
    (date(2026, 2, 25), date(2026, 3, 4)): (1, 2),    # no whole month: 1; 1 (26 Feb), 4
}


def _edge_figures(c, r) -> tuple:
    rows, _, _ = communities(c, *r, min_group_size=1)
    return tuple(rows.sort("community").select("active_members").to_series().to_list())


def test_active_members_of_the_whole_months_and_the_edge_days_are_counted_once_after_a_load(edges):
    """A person active over a range's whole months and on its edge days counts once, in a public
    space as in the pool (whatever the private conversation); a load splices the counts per space
    and month (``m_space_month_count``) of the pairs it touches, equal to them rebuilt: a person new
    in a whole month who was active on an edge day only, a person in an earlier month, a month
    inserted between two of a person's (the previous month of the later one changes)."""
    from metrics.materialise import refresh

    live = {r: communities(edges, *r, min_group_size=1) for r in EDGE_RANGES}
    assert {r: _edge_figures(edges, r) for r in EDGE_RANGES} == EDGE_RANGES   # Hall, then the pool
    assert refresh(edges)["mode"] == "full"
    for r in EDGE_RANGES:
        assert_frame_equal(communities(edges, *r, min_group_size=1)[0], live[r][0], check_exact=True)
        assert communities(edges, *r, min_group_size=1)[1:] == live[r][1:], r
    loads = [
        [(20, '2026-03-15 09:00', 2, 1)],                                 # 2 in Hall in March too
        [(21, '2026-01-20 09:00', 6, 1), (22, '2026-03-03 09:00', 5, 2)],  # 6 in January; 5 in space 2
        [(23, '2026-02-10 09:00', 1, 1), (24, '2026-01-05 09:00', 4, 3)],  # 1 in Hall's February already
    ]
    for run, rows in enumerate(loads, start=2):
        edges.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, "
                          f"thread_ref, run_id) values (?, 'x', ?, ?, 'post', ?, null, {run})", rows)
        assert refresh(edges)["mode"] == "incremental", run
        spliced = _month_counts(edges)
        stored = {r: communities(edges, *r, min_group_size=1) for r in EDGE_RANGES}
        edges.execute("delete from m_state")   # stale: the figures from the activities, then every base rebuilt
        for r, found in stored.items():
            live = communities(edges, *r, min_group_size=1)
            assert_frame_equal(found[0], live[0], check_exact=True)
            assert found[1:] == live[1:], (run, r)
        assert refresh(edges)["mode"] == "full"
        assert spliced == _month_counts(edges), run
    # Hall: 1 (January, February, March), 2 (February, March), 6 (January), 3 (April)
    assert [r for r in _month_counts(edges) if r[0] == 1] == [
        (1, False, 24312, None, 2), (1, False, 24313, 24312, 1), (1, False, 24313, None, 1),
        (1, False, 24314, 24313, 2), (1, False, 24315, None, 1)]
    assert {r: _edge_figures(edges, r) for r in EDGE_RANGES} == {
        (date(2026, 2, 23), date(2026, 3, 31)): (2, 3),
        (date(2026, 3, 1), date(2026, 3, 31)): (2, 3),    # 1, 2; 1, 4, 5
        (date(2026, 1, 1), date(2026, 3, 31)): (3, 3),    # 1, 2, 6; 1, 4, 5
        (date(2026, 2, 25), date(2026, 3, 4)): (1, 3),    # 1; 1, 4, 5
    }
