"""The sample company's figures, end to end: what the pages read must be free of the artefacts of
its monthly usage reports, and partial periods must say so."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from metrics.participation import participation


@pytest.fixture(scope="module")
def con(sample_store):
    connection = duckdb.connect(str(sample_store), read_only=True)
    yield connection
    connection.close()


def month_end_weeks(labels: list[str]) -> set[str]:
    """The ISO weeks holding the last day of a month."""
    out = set()
    day = date(2025, 11, 30)
    while day <= date(2026, 10, 31):
        year, week, _ = day.isocalendar()
        out.add(f"{year}-W{week:02d}")
        day = (day + timedelta(days=1)).replace(day=28) + timedelta(days=4)
        day = day.replace(day=1) - timedelta(days=1)
    return out & set(labels)


def test_weekly_participation_has_no_month_end_spike(con):
    """The monthly reports vouch for one day per reader: counted in weeks, they made each month's
    last week jump from about 20% to 40-66%. A week now counts the days that saw an activity."""
    weeks, _ = participation(con, by="organisation", period="week", min_group_size=5)
    complete = weeks.filter(~pl.col("partial"))
    ends = month_end_weeks(complete["period"].to_list())
    assert len(ends) == 11   # the twelfth, 31 October 2026, ends a partial week
    others = complete.filter(~pl.col("period").is_in(list(ends)))["participation_rate"].to_list()
    median = statistics.median(others)
    worst = complete.filter(pl.col("period").is_in(list(ends)))["participation_rate"].max()
    assert worst <= median + 0.03, (worst, median)
    assert round(median, 4) == 0.1789
    assert round(worst, 4) == 0.2058   # 2026-W27 (29 June to 5 July)


def test_partial_periods_are_marked_with_their_days(con):
    weeks, _ = participation(con, by="organisation", period="week", min_group_size=5)
    partial = weeks.filter(pl.col("partial")).select("period", "days", "participation_rate").rows()
    # the data runs from Saturday 1 November 2025 to Saturday 31 October 2026
    assert [(p, d) for p, d, _ in partial] == [("2025-W44", 2), ("2026-W44", 6)]
    quarters, _ = participation(con, by="organisation", period="quarter", min_group_size=5)
    assert quarters.select("period", "days", "partial").rows() == [
        ("2025-Q4", 61, True), ("2026-Q1", 90, False), ("2026-Q2", 91, False), ("2026-Q3", 92, False),
        ("2026-Q4", 31, True),
    ]
    months, _ = participation(con, by="organisation", period="month", min_group_size=5)
    assert not months["partial"].any()


def test_retention_figures_are_rates(con):
    months, _ = participation(con, by="department", period="month", min_group_size=5)
    for column in ("retention", "contributors_retained", "readers_retained"):
        values = months[column].drop_nulls()
        assert values.len() > 0 and values.min() >= 0 and values.max() <= 1, column
    weeks, _ = participation(con, by="organisation", period="week", min_group_size=5)
    # no source reports reads by the week: the monthly reports say nothing of a week's readers
    assert weeks["readers_retained"].null_count() == weeks.height


def run(con, name: str, **params):
    from metrics import registry
    from metrics.registry import MetricParams

    return registry.get(name)(con, MetricParams(**params))


def test_each_headcount_says_which_population_it_counts(con):
    """1,382 (employed in October), 1,500 (employed at some time in the year) and 1,522 (known)
    are three populations, each labelled; Logistics is 140 people in October, 155 over the year."""
    from metrics import status

    months = run(con, "participation", by="organisation")
    assert months.rows["headcount"][-1] == 1382
    assert months.extra["population"] == "employed in the period"
    assert months.extra["covers"] == {"from": date(2025, 11, 1), "to": date(2026, 10, 31)}
    split = run(con, "inequality", by="department")
    assert (split.extra["headcount"], split.extra["population"]) == (1500, "employed in the range")
    assert status.status(con)["people"] == 1522
    departments = run(con, "participation", by="department").rows
    october = departments.filter(pl.col("period") == "2026-10")
    assert october.filter(pl.col("department") == "Logistics")["headcount"].to_list() == [140]
    # as it was: Operations split into Production and Maintenance & Quality in May
    assert october.height == 14
    personas = run(con, "personas", by="department").rows
    assert personas.filter(pl.col("department") == "Logistics")["headcount"].unique().to_list() == [155]
    # personas count the departments held during the year (Operations until the split, 159 people
    # over the year, then Production, 55, and Maintenance & Quality, 103); the sixteenth group is
    # the outsiders, and says so
    groups = personas.select("department", "population").unique().sort("department")
    assert groups.height == 16
    assert groups.filter(pl.col("population") == "external, active")["department"].to_list() == ["External"]
    # as it was, a department's people of the year are those who held it on a day of it: the 146
    # people of Operations before its split count in it too
    by_personas = dict(personas.select("department", "headcount").unique().iter_rows())
    assert [by_personas[d] for d in ("Operations", "Production", "Maintenance & Quality")] == [159, 55, 103]
    # the range's populations agree across metrics, group by group, under the same attribution
    by_split = dict(split.extra["groups"].select("department", "headcount").iter_rows())
    assert {d: n for d, n in by_personas.items() if d != "External"} == by_split
    silos = run(con, "silos", by="department")
    assert silos.extra["attribution"] == "as-it-was"
    assert dict(silos.rows.select("department", "headcount").iter_rows()) == by_personas
    today = dict(run(con, "personas", by="department", extra={"attribution": "today"}).rows
                 .select("department", "headcount").unique().iter_rows())
    assert [today[d] for d in ("Operations", "Production", "Maintenance & Quality")] == [13, 55, 103]
    silos_today = dict(run(con, "silos", by="department", extra={"attribution": "today"})
                       .rows.select("department", "headcount").iter_rows())
    assert silos_today == today


def test_silos_of_the_sample_with_volume(con):
    """Human Resources (21 ties in a year among 65 people) and Logistics (46 among 155) no longer
    rank among the most open groups; the frontline workers (396 ties among 501) are disconnected."""
    result = run(con, "silos", by="department")
    rows = result.rows.filter(pl.col("department").is_in(["Engineering", "Human Resources", "Logistics"]))
    assert rows.select("department", "headcount", "ties", "ei_index", "status").rows() == [
        ("Engineering", 186, 16751, pytest.approx(-0.6057549, abs=1e-7), "silo"),
        ("Human Resources", 65, 21, None, "disconnected"),
        ("Logistics", 155, 46, None, "disconnected"),
    ]
    told = result.rows.filter(pl.col("ei_index").is_not_null() & (pl.col("department") != "External"))
    assert round(told["ei_index"].min(), 4) == -0.6058
    # the organisation's E-I is below every group's: each tie between groups counts at both of
    # its ends in the groups' E, once in the organisation's
    extra = result.extra
    # as it was: the ties of Operations' people before the split (7 inside it, 6 outward) are
    # Operations'; restated in today's departments, they are Production's and Maintenance &
    # Quality's, 6 of them between the two
    assert (extra["ties"], extra["internal_ties"], extra["between_ties"]) == (28743, 24331, 4412)
    assert round(extra["ei_index"], 4) == -0.6930
    assert round(extra["ei_index_as_groups"], 4) == round((2 * 4412 - 24331) / (2 * 4412 + 24331), 4) == -0.4677
    operations = result.rows.filter(pl.col("department") == "Operations")
    assert operations.select("headcount", "internal_ties", "external_ties", "status").rows() == [
        (159, 7, 6, "disconnected")]
    today = run(con, "silos", by="department", extra={"attribution": "today"}).extra
    assert (today["ties"], today["internal_ties"], today["between_ties"]) == (28743, 24325, 4418)
    assert round(today["ei_index"], 4) == -0.6926 and round(today["cross_silo_share"], 4) == 0.1537
    frontline = run(con, "silos", by="frontline").rows
    assert frontline.select("frontline", "ties", "status").rows() == [
        ("External", 560, "open"), ("desk", 28521, "silo"), ("frontline", 396, "disconnected")]
    # the cross-silo share of October (the Overview's last period) and of the year (the Network page)
    per_month = run(con, "silos", by="department", period="month", extra={"per_period": True})
    october = per_month.extra["periods"][-1]
    assert (october["period"], round(october["cross_silo_share"], 3), october["partial"]) == ("2026-10", 0.173, False)
    assert round(extra["cross_silo_share"], 4) == 0.1535
    # per month, only April moves: the people of Operations hardly interacted before
    april = [p for p in per_month.extra["periods"] if p["period"] == "2026-04"][0]
    restated = run(con, "silos", by="department", period="month", extra={"per_period": True, "attribution": "today"})
    april_today = [p for p in restated.extra["periods"] if p["period"] == "2026-04"][0]
    assert (round(april["cross_silo_share"], 4), round(april_today["cross_silo_share"], 4)) == (0.1415, 0.1438)
    assert [round(p["cross_silo_share"], 6) for p in per_month.extra["periods"] if p["period"] != "2026-04"] == [
        round(p["cross_silo_share"], 6) for p in restated.extra["periods"] if p["period"] != "2026-04"]
