"""Participation: given a tiny store, expect exact rows (METRICS.md, "Activity")."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, add_snapshot, make_store, person

from metrics import registry
from metrics.groups import MetricError
from metrics.materialise import refresh
from metrics.participation import participation
from metrics.registry import MetricParams

SCHEMA = {
    "period": pl.Utf8, "department": pl.Utf8, "headcount": pl.Int64, "active": pl.Int64, "contributors": pl.Int64,
    "participation_rate": pl.Float64, "contribution_rate": pl.Float64, "stickiness": pl.Float64,
    "retention": pl.Float64, "contributors_retained": pl.Float64, "readers_retained": pl.Float64,
    "days": pl.Int64, "partial": pl.Boolean,
}


def company():
    """Sales (6, with a leaver on 10 Feb and a hire on 15 Feb), Legal (4), Tax (5, never active)."""
    people = (
        [person(i, department="Sales") for i in range(1, 5)]
        + [person(5, department="Sales", left_on=date(2026, 2, 10)), person(6, department="Sales", hired_on=date(2026, 2, 15))]
        + [person(i, department="Legal") for i in range(7, 11)]
        + [person(i, department="Tax") for i in range(11, 16)]
        + [person(20, is_external=True)]
    )
    activities = [
        act(1, "post", "2026-01-05 09:00"),
        act(2, "read", "2026-01-05 10:00"),   # active only by reading
        act(2, "read", "2026-01-06 10:00"),
        act(3, "reaction", "2026-01-20 10:00"),
        act(7, "post", "2026-01-10 10:00"),
        act(20, "post", "2026-01-11 10:00"),   # external: active, never in a headcount
        act(1, "reply", "2026-02-03 10:00"),
        act(5, "reaction", "2026-02-05 10:00"),  # the leaver, before leaving
        act(6, "post", "2026-02-20 10:00"),      # the hire
        act(4, "read", "2026-02-28 10:00"),
    ]
    return make_store(people, activities)


def expected(rows):
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_rates_headcount_with_hire_and_leaver_stickiness_retention():
    frame, left_out = participation(company(), by="department", min_group_size=1)
    assert_frame_equal(frame, expected([
        # January starts with the data on the 5th: 27 of its 31 days, a partial period
        ("2026-01", "Legal", 4, 1, 1, 0.25, 0.25, 1 / 27 / 1, None, None, None, 27, True),
        ("2026-01", "Sales", 5, 3, 1, 0.6, 0.2, 4 / 27 / 3, None, None, None, 27, True),
        ("2026-01", "Tax", 5, 0, 0, 0.0, 0.0, None, None, None, None, 27, True),
        # Legal's contributor of January (7) is silent; Sales' (1) replies again; Sales' reader of
        # January (2) does not read again (4 reads, for the first time)
        ("2026-02", "Legal", 4, 0, 0, 0.0, 0.0, None, 0.0, 0.0, None, 28, False),
        ("2026-02", "Sales", 6, 4, 2, 4 / 6, 2 / 6, 4 / 28 / 4, 1 / 3, 1.0, 0.0, 28, False),
        ("2026-02", "Tax", 5, 0, 0, 0.0, 0.0, None, None, None, None, 28, False),
    ]))
    assert left_out == 0


def test_group_just_under_k_is_left_out_with_the_next_smallest():
    # January: Legal 4 < 5 is left out; alone, it would be the total minus the others, so the
    # next smallest, Sales (5, before Tax by name), goes too. February: Legal, then Tax (5).
    frame, left_out = participation(company(), by="department", min_group_size=5)
    assert frame.select("period", "department", "headcount").rows() == [("2026-01", "Tax", 5), ("2026-02", "Sales", 6)]
    assert left_out == 3   # Legal, Sales and Tax are each left out in some period


def test_hidden_groups_never_sum_to_fewer_than_k_people():
    frame, _ = participation(company(), by="department", min_group_size=5)
    total, _ = participation(company(), by="organisation", min_group_size=5)
    for period, org_headcount in total.select("period", "headcount").rows():
        shown = frame.filter(pl.col("period") == period)["headcount"].sum()
        assert org_headcount - shown in (0,) or org_headcount - shown >= 5


def test_weeks_and_quarters_are_labelled_iso():
    con = make_store([person(1, department="Ops")], [act(1, "post", "2025-12-31"), act(1, "post", "2026-01-01")])
    weeks, _ = participation(con, by="department", period="week", min_group_size=1)
    quarters, _ = participation(con, by="department", period="quarter", min_group_size=1)
    assert weeks["period"].to_list() == ["2026-W01"]
    assert quarters["period"].to_list() == ["2025-Q4", "2026-Q1"]


def test_usage_report_makes_a_reader_active_on_its_last_activity_date():
    con = make_store([person(i, department="Ops") for i in range(1, 6)], [act(1, "post", "2026-03-02")])
    add_snapshot(con, 2, "2026-04-04", read=12, last_activity="2026-03-30")
    add_snapshot(con, 3, "2026-04-04", read=0)   # a report of nothing: not active
    frame, _ = participation(con, by="department", min_group_size=1)
    assert frame.select("period", "active", "contributors").rows() == [("2026-03", 2, 1), ("2026-04", 0, 0)]


def test_range_cuts_periods_and_days():
    frame, _ = participation(company(), by="organisation", start=date(2026, 1, 6), end=date(2026, 1, 31), min_group_size=1)
    # from 6 January: person 1's post of the 5th is out, person 2's read of the 6th is in
    assert frame.select("period", "headcount", "active", "contributors").rows() == [("2026-01", 14, 3, 1)]
    assert frame["stickiness"].item() == 3 / 26 / 3


def test_empty_store_gives_no_rows():
    frame, left_out = participation(make_store(), min_group_size=5)
    assert_frame_equal(frame, pl.DataFrame(schema=SCHEMA))
    assert left_out == 0


def test_unknown_attribute_and_period_are_refused():
    with pytest.raises(MetricError):
        participation(company(), by="name")
    with pytest.raises(MetricError):
        participation(company(), period="day")


def test_registry_result_carries_rows_suppression_and_reads_flag():
    con = company()
    result = registry.get("participation")(con, MetricParams(by="department", min_group_size=5))
    assert result.rows.height == 2 and result.suppressed_groups == 3
    # who the headcounts count, in which groups, and the days the figures cover (the data's, from 5 January)
    assert result.extra == {"reads_known": True, "population": "employed in the period", "attribution": "as-it-was",
                            "covers": {"from": date(2026, 1, 5), "to": date(2026, 2, 28)}}


def test_materialised_and_on_the_fly_agree():
    on_the_fly, _ = participation(company(), by="department", min_group_size=1)
    con = company()
    refresh(con)
    materialised, _ = participation(con, by="department", min_group_size=1)
    assert_frame_equal(materialised, on_the_fly)


def test_headcount_of_people_hired_and_leaving_around_and_inside_the_range():
    """Each period counts the people hired in it or before and not gone before it: the running sum
    of arrivals and departures gives the same counts as checking every person in every period."""
    people = [
        person(1, department="Ops"),  # always there
        person(2, department="Ops", hired_on=date(2025, 6, 1)),  # before the data
        person(3, department="Ops", left_on=date(2025, 12, 15)),  # gone before the data
        person(4, department="Ops", hired_on=date(2026, 2, 10), left_on=date(2026, 3, 5)),  # inside
        person(5, department="Ops", hired_on=date(2026, 3, 20), left_on=date(2026, 1, 10)),  # left before hired
        person(6, department="Ops", hired_on=date(2026, 9, 1)),  # after the data
        person(7, department="Ops", left_on=date(2026, 4, 30)),  # leaves in the last period
        person(8, department="Tax", hired_on=date(2026, 3, 1)),  # a group that starts late
    ]
    activities = [act(1, "post", "2026-01-05 09:00"), act(7, "post", "2026-04-02 09:00")]
    con = make_store(people, activities)
    frame, _ = participation(con, by="department", min_group_size=1)
    assert frame.select("period", "department", "headcount").rows() == [
        ("2026-01", "Ops", 3), ("2026-02", "Ops", 4), ("2026-03", "Ops", 4), ("2026-03", "Tax", 1),
        ("2026-04", "Ops", 3), ("2026-04", "Tax", 1),
    ]
    frame, _ = participation(con, by="department", period="quarter", start=date(2026, 4, 1), min_group_size=1)
    assert frame.select("period", "department", "headcount").rows() == [("2026-Q2", "Ops", 3), ("2026-Q2", "Tax", 1)]


def test_a_monthly_report_counts_in_its_month_and_quarter_never_in_a_week():
    """A 30-day report says the person read in the month, not in which week: weeks count only the
    days that saw an activity; a 7-day report fits in a week and counts there."""
    con = make_store([person(i, department="Ops") for i in range(1, 6)],
                     [act(1, "post", "2026-03-02"), act(1, "post", "2026-03-31")])
    add_snapshot(con, 2, "2026-03-31", read=12, last_activity="2026-03-31", days=30)
    add_snapshot(con, 3, "2026-03-31", read=3, last_activity="2026-03-30", days=7)
    for materialised in (False, True):
        if materialised:
            refresh(con)
        weeks, _ = participation(con, by="organisation", period="week", min_group_size=1)
        assert weeks.select("period", "active", "readers_retained", "days", "partial").rows() == [
            ("2026-W10", 1, None, 7, False),   # 2 to 8 March: the post of the 2nd
            ("2026-W11", 0, None, 7, False),
            ("2026-W12", 0, None, 7, False),
            ("2026-W13", 0, None, 7, False),
            ("2026-W14", 2, None, 2, True),    # 30 and 31 March: the post and the weekly report
        ]
        months, _ = participation(con, by="organisation", period="month", min_group_size=1)
        assert months.select("period", "active", "contributors", "days", "partial").rows() == [
            ("2026-03", 3, 1, 30, True)]
        quarters, _ = participation(con, by="organisation", period="quarter", min_group_size=1)
        assert quarters.select("period", "active", "days", "partial").rows() == [("2026-Q1", 3, 30, True)]
        # stickiness counts the days that saw an activity, over the people who had one
        assert months["stickiness"].item() == 2 / 30 / 1


def test_retention_of_contributors_and_readers_month_to_month():
    """Retention among the people active in m by contribution, and by read (activities or a
    report counting reads), who are active again the same way in m + 1."""
    people = [person(i, department="Ops") for i in range(1, 7)]
    activities = [
        act(1, "post", "2026-01-05"), act(2, "reply", "2026-01-06"), act(3, "read", "2026-01-07"),
        act(1, "post", "2026-02-05"), act(2, "read", "2026-02-06"), act(3, "read", "2026-02-07"),
        act(4, "post", "2026-02-08"),
    ]
    con = make_store(people, activities)
    add_snapshot(con, 5, "2026-01-31", read=4, last_activity="2026-01-20", days=30)
    add_snapshot(con, 5, "2026-02-28", read=0, liked=2, last_activity="2026-02-20", days=30)
    frame, _ = participation(con, by="organisation", min_group_size=1)
    assert frame.select("period", "active", "retention", "contributors_retained", "readers_retained").rows() == [
        ("2026-01", 4, None, None, None),
        # active 1, 2, 3, 5 -> all four again; contributors 1, 2 -> 1; readers 3, 5 -> 3
        ("2026-02", 5, 1.0, 0.5, 0.5),
    ]


def versioned_company():
    """Three people of Ops whose versions split periods: 1 moves from Paris to Lyon on 10 February
    (still Ops) and to Tax on 1 March; 2 has one version (no history); 3 moves from Paris to Lyon
    on 15 January. 2 is active again in April, after the ranges read below end."""
    con = make_store(
        [person(1, department="Tax", site="Lyon"), person(2, department="Ops", site="Paris"),
         person(3, department="Ops", site="Lyon")],
        [act(1, "post", "2026-01-05"), act(1, "read", "2026-02-05"), act(1, "post", "2026-02-20"),
         act(1, "post", "2026-03-03"), act(2, "post", "2026-01-06"), act(2, "reaction", "2026-02-07"),
         act(2, "post", "2026-04-02"), act(3, "read", "2026-01-10"), act(3, "post", "2026-01-20"),
         act(3, "reply", "2026-02-10")],
    )
    con.execute("insert into people_history (person_key, valid_from, valid_to, department, site) values "
                "(1, '2025-12-01', '2026-02-10', 'Ops', 'Paris'), (1, '2026-02-10', '2026-03-01', 'Ops', 'Lyon'), "
                "(1, '2026-03-01', null, 'Tax', 'Lyon'), "
                "(3, '2025-12-01', '2026-01-15', 'Ops', 'Paris'), (3, '2026-01-15', null, 'Ops', 'Lyon')")
    return con


@pytest.mark.parametrize("materialised", [False, True])
def test_people_of_one_version_and_of_several_count_once_per_group_and_the_last_period_retains(materialised):
    """Every attribute at once (``participation_frames``): a person of one version (2) and people
    whose versions split a period, in one group (1 in February, 3 in January, by department) or
    two (by site), count once in each group they held; the range's last period (March, the data
    going on in April) counts its retention from February's active people. The frames are those
    of each attribute alone (``participation_frame``)."""
    from metrics.participation import participation_frame, participation_frames

    con = versioned_company()
    if materialised:
        refresh(con)
    frames = participation_frames(con, ["department", "site"], "month", end=date(2026, 3, 31))
    figures = ["headcount", "active", "contributors", "retention", "contributors_retained"]
    assert frames["department"].select("period", "department", *figures).rows() == [
        ("2026-01", "Ops", 3, 3, 3, None, None),
        # 1 in Paris then Lyon, both Ops: once
        ("2026-02", "Ops", 3, 3, 2, 1.0, 2 / 3),
        # 1 in Tax from March: February's active 2 and 3 in Ops, 1 in Tax
        ("2026-03", "Ops", 2, 0, 0, 0.0, 0.0),
        ("2026-03", "Tax", 1, 1, 1, 1.0, 1.0),
    ]
    assert frames["site"].select("period", "site", *figures).rows() == [
        # 3 read in Paris on 10 January, posted in Lyon on the 20th
        ("2026-01", "Lyon", 1, 1, 1, None, None),
        ("2026-01", "Paris", 3, 3, 2, None, None),
        # 1 read in Paris on 5 February, posted in Lyon on the 20th: active in both
        ("2026-02", "Lyon", 2, 2, 2, 1.0, 1.0),
        ("2026-02", "Paris", 2, 2, 0, 1.0, 0.0),
        ("2026-03", "Lyon", 2, 1, 1, 0.5, 0.5),
        ("2026-03", "Paris", 1, 0, 0, 0.0, None),
    ]
    # stickiness: person-days of activity over the days (January's from the 5th, the data's first)
    # and the people with one (3: two days in January, 1 two in February)
    assert frames["department"]["stickiness"].to_list()[:2] == [4 / 27 / 3, 4 / 28 / 3]
    for by in ("department", "site"):
        assert_frame_equal(frames[by], participation_frame(con, [by], "month", end=date(2026, 3, 31)), check_exact=True)
