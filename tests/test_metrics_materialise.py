"""Materialised bases: a refresh (full or incremental) never changes a figure."""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal
from tests.test_metrics_fixtures import act, add_activities, add_snapshot, make_store, person

from metrics import registry
from metrics.bases import is_fresh, sources
from metrics.materialise import refresh
from metrics.registry import MetricParams

PARAMS = [
    MetricParams(by="department", min_group_size=1),
    MetricParams(by="team", period="week", min_group_size=1),
    MetricParams(by="organisation", period="quarter", start=date(2026, 1, 1), end=date(2026, 3, 31), min_group_size=1),
    MetricParams(by="department", start=date(2026, 1, 9), end=date(2026, 2, 17), min_group_size=1),
]


def store():
    people = [person(i, department=["Ops", "Tax"][i % 2], team=f"T{i % 3}", level=["staff", "manager"][i % 2])
              for i in range(1, 13)] + [person(30, is_external=True)]
    activities = []
    for day in range(1, 60):
        who = 1 + (day * 7) % 12
        kind = ["post", "reply", "reaction", "read", "mention", "join"][day % 6]
        when = date.fromordinal(date(2026, 1, 1).toordinal() + day)
        activities.append(act(who, kind, when, target=1 + day % 12, thread=f"t{day % 5}", space=1 + day % 3))
    activities.append(act(30, "reply", "2026-02-01", target=2, thread="t1", space=1))
    con = make_store(people, activities)
    add_snapshot(con, 5, "2026-02-07", read=3, last_activity="2026-02-06")
    return con


def all_results(con):
    out = {}
    for name in ("participation", "inequality", "inactive-teams", "leadership", "frontline", "personas", "external"):
        for i, params in enumerate(PARAMS):
            out[name, i] = registry.get(name)(con, params).rows
    return out


def test_refresh_changes_no_figure():
    expected = all_results(store())
    con = store()
    assert refresh(con)["mode"] == "full"
    assert is_fresh(con) and sources(con, "month", None, None).materialised
    for key, frame in all_results(con).items():
        assert_frame_equal(frame, expected[key], check_row_order=True), key


def test_incremental_refresh_equals_a_full_rebuild():
    con = store()
    refresh(con)
    # late events: a reply answering an earlier thread before its first answer so far, in a space
    # the person was already active in; a new thread answered the next day; a new post in an old
    # thread by its first replier (answered by the next one); the first January activity of someone active only
    # in February so far (their February becomes retained)
    new = [act(3, "post", "2026-03-02", run=2), act(4, "reply", "2026-01-15", target=3, run=2),
           act(2, "reply", "2026-01-20", target=7, thread="t0", space=2, run=2),
           act(10, "post", "2026-03-02", thread="t9", space=3, run=2),
           act(9, "reply", "2026-03-03", target=10, thread="t9", space=3, run=2),
           act(8, "post", "2026-03-04", thread="t1", space=1, run=2),
           act(30, "reaction", "2026-01-28", target=1, space=1, run=2)]
    retained = "select active_before from m_person_period where grain = 'month' and person_key = 30 and period_start = ?"
    assert con.execute(retained, [date(2026, 2, 1)]).fetchall() == [(False,)]
    add_activities(con, new)
    add_snapshot(con, 6, "2026-03-03", liked=1, run=2)
    assert not is_fresh(con)
    report = refresh(con)
    assert report["mode"] == "incremental"
    tables = ("m_person_day", "m_person_period", "m_thread_start", "m_space_person")
    incremental = {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    # a load adds its own first replies: the earliest row of a thread and person counts
    first_replies = "select source, thread_ref, person_key, min(first_day) from m_thread_reply group by all order by all"
    incremental["m_thread_reply"] = con.execute(first_replies).fetchall()
    assert con.execute(retained, [date(2026, 2, 1)]).fetchall() == [(True,)]
    assert con.execute("select replied_on from m_thread_start where thread_ref = 't1' and person_key = 8 "
                       "and day = '2026-03-04'").fetchall() == [(date(2026, 2, 1),)]
    assert con.execute("select thread_ref, day, replied_on from m_thread_start where thread_ref in ('t0', 't9') "
                       "order by 1").fetchall() == [("t0", date(2026, 1, 31), date(2026, 1, 20)),
                                                    ("t9", date(2026, 3, 2), date(2026, 3, 3))]
    con.execute("delete from m_state")
    assert refresh(con)["mode"] == "full"
    for table, rows in incremental.items():
        query = first_replies if table == "m_thread_reply" else f"select * from {table} order by all"
        assert con.execute(query).fetchall() == rows, table
    assert refresh(con)["mode"] == "unchanged"


def test_rows_of_an_earlier_run_force_a_full_rebuild():
    con = store()
    refresh(con)
    add_activities(con, [act(3, "post", "2026-03-02", run=1)])
    assert refresh(con)["mode"] == "full"


@pytest.mark.parametrize("name", ["participation", "inequality", "personas"])
def test_stale_bases_are_not_read(name):
    con = store()
    refresh(con)
    add_activities(con, [act(7, "post", "2026-02-20", run=5)])   # loaded without a refresh
    stale = registry.get(name)(con, PARAMS[0]).rows
    refresh(con)
    assert_frame_equal(registry.get(name)(con, PARAMS[0]).rows, stale)


def test_person_totals_of_any_range_equal_the_days_summed():
    """A range is summed from the fewest rows of the bases (whole quarters, the months around them,
    the days at its ends): every person's totals equal those of the days themselves."""
    people = [person(i, department="Ops") for i in range(1, 9)]
    kinds = ["post", "reply", "reaction", "read", "mention", "join"]
    activities = [
        act(1 + (day * 5) % 8, kinds[day % 6], date.fromordinal(date(2025, 6, 1).toordinal() + day),
            target=1 + day % 8, thread=f"t{day % 7}")
        for day in range(0, 400, 3)
    ]
    con = make_store(people, activities)
    ranges = [(date(2025, 6, 1), date(2026, 7, 5)), (date(2025, 7, 1), date(2026, 3, 31)),
              (date(2025, 6, 17), date(2025, 9, 30)), (date(2025, 10, 1), date(2026, 2, 11)),
              (date(2025, 8, 3), date(2025, 8, 20)), (date(2025, 11, 1), date(2025, 11, 30)),
              (date(2025, 12, 29), date(2026, 4, 2))]
    columns = "person_key, activities, contributions, posts, replies, reactions, received, active, active_days, last_contribution"

    def totals(start, end):
        relation = sources(con, "month", start, end).person_range
        return con.execute(f"select {columns} from {relation} order by person_key",
                           {"from_date": start, "to_date": end}).fetchall()

    expected = {r: totals(*r) for r in ranges}
    refresh(con)
    for r in ranges:
        assert "m_person_day" in sources(con, "month", *r).person_range
        assert totals(*r) == expected[r], r
        assert expected[r], r
