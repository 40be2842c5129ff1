"""Inactive teams: each rule fires where it should, with exact figures."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, make_store, person

from metrics import registry
from metrics.registry import MetricParams
from metrics.teams import inactive_teams

SCHEMA = {"team": pl.Utf8, "rule": pl.Utf8, "period": pl.Utf8, "headcount": pl.Int64,
          "participation_now": pl.Float64, "participation_before": pl.Float64, "last_contribution": pl.Date,
          "department": pl.Utf8, "flagged_since": pl.Date}


def teams_store():
    """A: everybody posted in February, one replied in March. B: never active.
    C (20 people): 7 active in February, 4 in March (exactly 15 points down), last post 2 March.
    A is in Ops, B in no department, C mostly in Sales (12 people; 8 in Tax)."""
    people = ([person(i, team="A", department="Ops") for i in range(1, 6)] + [person(i, team="B") for i in range(6, 11)]
              + [person(i, team="C", department="Sales" if i <= 22 else "Tax") for i in range(11, 31)])
    activities = [act(i, "post", "2026-02-10") for i in range(1, 6)] + [act(1, "reply", "2026-03-25")]
    activities += [act(i, "read", "2026-02-15") for i in range(11, 18)]
    activities += [act(i, "read", "2026-03-10") for i in range(11, 15)] + [act(11, "post", "2026-03-02")]
    # the data starts on 1 February (an external person's read): February is a whole month
    people.append(person(99, is_external=True))
    activities += [act(99, "read", "2026-02-01")]
    return make_store(people, activities)


def test_a_partial_previous_period_is_no_rate_to_drop_from():
    """Data from 10 February: February is partial, so no drop is measured against it (A went from
    everybody to one person in five; C from 35% to 20%)."""
    con = teams_store()
    con.execute("delete from activities where person_key = 99")
    rows, _, seen = inactive_teams(con, end=date(2026, 3, 31))
    assert rows.select("team", "rule", "participation_before").rows() == [
        ("B", "low_participation", None), ("B", "no_contribution", None)]
    assert seen["previous_period"] == "2026-02"


def test_each_rule_fires_with_its_figures():
    rows, left_out, seen = inactive_teams(teams_store(), end=date(2026, 3, 31))
    assert_frame_equal(rows, pl.DataFrame([
        # flagged since: the drops fire in March only (February, the first month, has no month before);
        # B was under 20% in February already; it never contributed: since the first day of the data
        ("A", "participation_drop", "2026-03", 5, 0.2, 1.0, date(2026, 3, 25), "Ops", date(2026, 3, 1)),
        ("B", "low_participation", "2026-03", 5, 0.0, 0.0, None, "(not set)", date(2026, 2, 1)),
        ("B", "no_contribution", "2026-03", 5, 0.0, 0.0, None, "(not set)", date(2026, 2, 1)),
        ("C", "participation_drop", "2026-03", 20, 0.2, 0.35, date(2026, 3, 2), "Sales", date(2026, 3, 1)),
    ], schema=SCHEMA, orient="row"))
    assert left_out == 0
    assert seen == {"as_of": date(2026, 3, 31), "period": "2026-03", "previous_period": "2026-02"}


def test_no_contribution_counts_days_up_to_the_last_day():
    # as of 1 April, C's last contribution (2 March) is 30 days old; March is still the last complete month
    rows, _, _ = inactive_teams(teams_store(), end=date(2026, 4, 1))
    c = rows.filter(pl.col("team") == "C")
    assert c["rule"].to_list() == ["no_contribution", "participation_drop"]
    # flagged since the day its last contribution turned 30 days old
    assert c["flagged_since"].to_list() == [date(2026, 4, 1), date(2026, 3, 1)]


def test_flagged_since_is_the_start_of_the_unbroken_run():
    """D (5 people): everybody active in January and March, nobody in February, April or May: under
    20% since April, not since February (March broke the run)."""
    people = [person(i, team="D") for i in range(1, 6)]
    activities = ([act(i, "reaction", "2026-01-05") for i in range(1, 6)]
                  + [act(i, "reaction", "2026-03-05") for i in range(1, 6)] + [act(1, "post", "2026-03-06")]
                  + [act(99, "read", "2026-05-31")])
    people.append(person(99, is_external=True))
    rows, _, seen = inactive_teams(make_store(people, activities))
    assert seen["period"] == "2026-05"
    assert rows.select("rule", "flagged_since").rows() == [
        ("low_participation", date(2026, 4, 1)), ("no_contribution", date(2026, 4, 5))]


def test_default_end_is_the_last_day_of_data_and_thresholds_are_parameters():
    rows, _, seen = inactive_teams(teams_store(), inactive_participation=0.25, inactive_drop_points=90)
    # the data ends on 25 March: the last complete month is February
    assert seen["period"] == "2026-02"
    assert rows.select("team", "rule").rows() == [("B", "low_participation"), ("B", "no_contribution")]


def test_small_team_and_its_smallest_sibling_are_never_shown():
    people = ([person(i, team="Big") for i in range(1, 11)] + [person(i, team="Tiny") for i in range(11, 15)]
              + [person(i, team="Mid") for i in range(15, 21)])
    rows, left_out, _ = inactive_teams(make_store(people, [act(1, "post", "2026-03-31")]))
    assert rows["team"].unique().to_list() == ["Big"]
    assert left_out == 2


def test_rate_of_a_period_when_the_team_was_too_small_is_not_shown():
    people = ([person(i, team="Big") for i in range(1, 11)] + [person(i, team="New") for i in range(11, 13)]
              + [person(i, team="New", hired_on=date(2026, 3, 1)) for i in range(13, 16)])
    activities = [act(i, "post", "2026-02-03") for i in range(1, 16)] + [act(1, "post", "2026-03-31")]
    rows, left_out, _ = inactive_teams(make_store(people, activities))
    # February: New had 2 people, so neither it nor Big (which would give New away) is shown then
    assert rows.select("team", "rule", "participation_before").rows() == [
        ("Big", "low_participation", None), ("New", "low_participation", None), ("New", "no_contribution", None),
    ]
    assert left_out == 0


def test_registry_defaults_to_teams_and_reads_the_thresholds_from_params():
    result = registry.get("inactive-teams")(
        teams_store(), MetricParams(by="team", end=date(2026, 3, 31), extra={"inactive_drop_points": 81.0})
    )
    assert result.rows.select("team", "rule").rows() == [("B", "low_participation"), ("B", "no_contribution")]
    assert registry.DEFAULT_BY["inactive-teams"] == "team"


def test_grouped_by_department_the_group_is_its_department():
    rows, _, _ = inactive_teams(teams_store(), by="department", end=date(2026, 3, 31))
    assert rows.columns == ["department", "rule", "period", "headcount", "participation_now", "participation_before",
                            "last_contribution", "flagged_since"]


def test_the_participation_the_rules_read_is_each_periods_own_whatever_its_start():
    """The rules read participation per period from LOOKBACK periods before the last one; each
    period's row reads that period alone, so a load keeps the rows before the first period it
    touched and computes the others (metrics.results.precompute): from March on it is the
    frame's last rows, and the rules flag the same teams from it."""
    from metrics.teams import lookback_frame

    con = teams_store()
    whole = lookback_frame(con, "team", "month", date(2026, 3, 31))
    assert whole.columns == ["period", "team", "headcount", "participation_rate", "partial"]
    assert whole.rows() == [
        ("2026-02", "A", 5, 1.0, False), ("2026-02", "B", 5, 0.0, False), ("2026-02", "C", 20, 0.35, False),
        # the data ends on 25 March: March is partial
        ("2026-03", "A", 5, 0.2, True), ("2026-03", "B", 5, 0.0, True), ("2026-03", "C", 20, 0.2, True)]
    march = lookback_frame(con, "team", "month", date(2026, 3, 31), start=date(2026, 3, 12))
    assert_frame_equal(march, whole.filter(pl.col("period") >= "2026-03"), check_exact=True)
    spliced = pl.concat([whole.filter(pl.col("period") < "2026-03"), march])
    assert_frame_equal(inactive_teams(con, end=date(2026, 3, 31), frame=spliced)[0],
                       inactive_teams(con, end=date(2026, 3, 31))[0], check_exact=True)


def test_the_teams_of_each_group_are_those_participation_today_counts_someone_in(sample_store):
    """team_groups reads who was employed during the three periods up to the day (hired before the
    last one ended, not left before the first, a missing date open) without counting anyone: the
    combinations of groups are those participation under today's organisation gives a headcount,
    whatever the grain and the day, on a hand-built company and on the sample's."""
    from datetime import timedelta

    from metrics import bases
    from metrics.groups import period_start, shift_period
    from metrics.participation import participation_frame
    from metrics.teams import team_groups
    from ruche import store

    def counted(con, bys, period, as_of):
        start = shift_period(period, period_start(period, as_of + timedelta(days=1)), -3)
        frame = participation_frame(con, ["team", *bys], period, start, as_of, attribution=bases.TODAY)
        return (frame.filter(pl.col("headcount") > 0).select("team", *bys).unique()
                .filter(pl.col("team").is_not_null()).sort("team", *bys))

    people = [
        person(1, team="A", department="Ops", site="Lyon"),                                    # always there
        person(2, team="A", department="Ops", site="Paris", hired_on=date(2026, 3, 20)),      # hired late in March
        person(3, team="B", department="Tax", hired_on=date(2026, 4, 2)),                     # hired after the data
        person(4, team="C", department="Tax", left_on=date(2025, 12, 31)),                    # gone before it
        person(5, team="C", site="Nice", left_on=date(2026, 1, 5)),                           # left in its first week
        person(6, team="D", department="Legal", hired_on=date(2026, 2, 27), left_on=date(2026, 3, 2)),
        person(7, is_external=True, team="E"),
    ]
    activities = [act(1, "post", "2026-01-03"), act(1, "post", "2026-03-25"), act(7, "read", "2026-02-10")]
    con = make_store(people, activities)
    found = {}
    for as_of in (date(2026, 3, 25), date(2026, 2, 28), date(2026, 1, 10), date(2026, 6, 30)):
        for period in ("week", "month", "quarter"):
            got = team_groups(con, ["department", "site"], period, as_of)
            assert_frame_equal(got, counted(con, ["department", "site"], period, as_of), check_exact=True)
            found[(as_of, period)] = got["team"].to_list()
    # three months to 25 March: everybody employed in them but 3 (hired after) and 4 (gone before)
    assert found[(date(2026, 3, 25), "month")] == ["A", "A", "C", "D"]
    # the three weeks to 25 March: 5 left in January, 6 (hired 27 February) left in the first of them
    assert found[(date(2026, 3, 25), "week")] == ["A", "A", "D"]
    sample = store.connect(sample_store, read_only=True)
    last = bases.last_day(sample)
    for as_of in (last, last - timedelta(days=75)):
        for period in ("week", "month", "quarter"):
            assert_frame_equal(team_groups(sample, results_bys(), period, as_of),
                               counted(sample, results_bys(), period, as_of), check_exact=True)
    sample.close()


def results_bys() -> list[str]:
    from metrics.results import TEAM_GROUP_BYS

    return TEAM_GROUP_BYS


def plain_since(frame: pl.DataFrame, by: str, period: str, now_start: date, now_end: date, k: int,
                threshold: float, drop_points: float) -> pl.DataFrame:
    """metrics.teams._since as plain polars operations, a window per group and rule: the reference."""
    from metrics.groups import shift_period
    from metrics.teams import LOOKBACK, _labels

    first = shift_period(period, now_start, -LOOKBACK)
    frame = frame.sort(by, "period")
    frame = frame.with_columns(
        (pl.col("participation_rate").shift(1).over(by) - pl.col("participation_rate")).alias("fall"),
        pl.col("headcount").shift(1).over(by).alias("headcount_before"),
        pl.col("partial").shift(1).over(by).alias("partial_before"),
    )
    # as the rules read them: the last period as it is, a period before it only when held whole
    usable = pl.col("headcount") >= k
    tests = {
        "low_participation": usable & (pl.col("participation_rate") < threshold),
        "participation_drop": usable & (pl.col("headcount_before") >= k) & ~pl.col("partial_before").fill_null(True)
        & ((pl.col("fall") * 100).round(9) >= drop_points),
    }
    out = []
    for name, test in tests.items():
        f = frame.with_columns(test.fill_null(False).alias("fired"))
        # the run up to the last period: periods after the last one that did not fire
        f = f.with_columns(pl.col("fired").not_().cum_sum().over(by).alias("breaks"))
        f = f.filter(pl.col("breaks") == pl.col("breaks").max().over(by)).filter(pl.col("fired"))
        out.append(f.group_by(by).agg(pl.col("period").min().alias("since_period")).with_columns(
            pl.lit(name).alias("rule")))
    since = pl.concat(out)
    # the first day of a period, from its label
    calendar = pl.DataFrame({"since_period": _labels(period, first, now_end)[0],
                             "flagged_since": _labels(period, first, now_end)[1]})
    return since.join(calendar, on="since_period", how="left").select(by, "rule", "flagged_since")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 12), st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.35, 0.6, None]),
                                   st.booleans()), min_size=1, max_size=6), min_size=0, max_size=5),
       st.integers(1, 8), st.randoms(use_true_random=False))
def test_the_run_each_rule_fired_in_is_what_windows_per_group_find(spec, k, rng):
    """metrics.teams._since (each group's runs found by NumPy on the rows in order) gives, for every
    team and rule, the first day that the rules read by windows per group give: drops, low rates,
    missing rates, partial periods, small teams, teams whose periods start later."""
    from metrics.teams import _since

    rows = [(f"2026-{1 + 6 - len(periods) + i:02d}", f"t{j}", n, rate, partial)
            for j, periods in enumerate(spec) for i, (n, rate, partial) in enumerate(periods)]
    rng.shuffle(rows)
    frame = pl.DataFrame(rows, schema={"period": pl.Utf8, "team": pl.Utf8, "headcount": pl.Int64,
                                       "participation_rate": pl.Float64, "partial": pl.Boolean}, orient="row")
    args = (frame, "team", "month", date(2026, 6, 1), date(2026, 6, 30), k, 0.2, 20.0)
    assert_frame_equal(_since(*args), plain_since(*args), check_row_order=False)
