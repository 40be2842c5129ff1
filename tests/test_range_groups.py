"""Each person's activity in each group over the whole history, kept in the store
(metrics/range_groups.py): a load's update gives the rows a computation over everyone gives.

Four people: Ana and Bo of Sales and IT, Cy of Sales moving to IT on 10 March (a version dated
after the data's last day, 5 March, at first), Dee external. A day's load (12 March) adds Ana's
post and Bo's reply to Dee: the rows of Ana, Bo, Dee (a reply received) and Cy (her move now
inside the range: she is in Sales and in IT) are computed again, nobody else's.
"""

from __future__ import annotations

import pytest

from metrics import range_groups
from metrics.bases import AS_IT_WAS, TODAY, person_range_groups, sources
from metrics.materialise import refresh
from ruche.store import connect

BYS = ["department", "organisation"]


def _activities(con, run: int, rows: list[tuple]) -> None:
    start = con.execute("select coalesce(max(activity_uid), 0) from activities").fetchone()[0]
    con.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
                    "values (?, 'x', ?, ?, ?, ?, ?)",
                    [(start + n + 1, at, person, kind, target, run) for n, (at, person, kind, target) in enumerate(rows)])


@pytest.fixture
def con():
    con = connect(":memory:")
    con.execute("insert into people (person_key, person_id, department, is_external) values "
                "(1, 'ana', 'Sales', false), (2, 'bo', 'IT', false), (3, 'cy', 'IT', false), (4, 'dee', null, true)")
    con.execute("insert into people_history (person_key, valid_from, valid_to, department) values "
                "(3, '2026-01-01', '2026-03-10', 'Sales'), (3, '2026-03-10', null, 'IT')")
    _activities(con, 1, [("2026-03-02 10:00", 1, "post", None), ("2026-03-02 11:00", 2, "reply", 1),
                         ("2026-03-03 09:00", 3, "post", None), ("2026-03-04 09:00", 3, "reply", 1),
                         ("2026-03-05 09:00", 4, "reaction", 3), ("2026-03-05 10:00", 2, "read", None)])
    refresh(con)
    yield con
    con.close()


def computed(con, attribution: str = AS_IT_WAS) -> list[tuple]:
    """The rows a computation over everyone gives, sorted."""
    src = sources(con, "month", None, None)
    return sorted(con.execute(f"select * from {person_range_groups(src, BYS, attribution)}",
                              {"from_date": None, "to_date": None}).fetchall(), key=repr)


def read(con, rows: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {rows}").fetchall(), key=repr)


def since(con, attribution: str = AS_IT_WAS) -> list[int]:
    table = range_groups.TABLES[attribution]
    return [k for (k,) in con.execute(f"select person_key from {table}_people order by 1").fetchall()]


def a_day(con) -> None:
    _activities(con, 2, [("2026-03-12 09:00", 1, "post", None), ("2026-03-12 10:00", 2, "reply", 4)])
    assert refresh(con)["mode"] == "incremental"


def test_a_day_computes_again_the_rows_of_the_people_it_touched_and_of_a_move_it_brings_in(con):
    rows, mode = range_groups.kept(con, BYS, AS_IT_WAS)
    assert mode == "full" and read(con, rows) == computed(con) and since(con) == []
    cy = ("select by_group, posts, replies from {} where person_key = 3 and by_attribute = 'department'")
    assert con.execute(cy.format(rows)).fetchall() == [("Sales", 1, 1)]
    a_day(con)
    assert range_groups.kept(con, BYS, AS_IT_WAS) == (rows, "update")
    # the day's authors, the one a reply answers, and the one whose move the range now holds
    assert since(con) == [1, 2, 3, 4]
    assert read(con, rows) == computed(con)
    assert sorted(con.execute(cy.format(rows)).fetchall()) == [("IT", None, None), ("Sales", 1, 1)]
    # everyone's rows as built before: the update wrote only theirs
    assert con.execute("select count(*) from m_range_group_as_it_was where person_key = 3").fetchone()[0] == 2
    # nothing loaded since: kept as it is
    assert range_groups.kept(con, BYS, AS_IT_WAS) == (rows, "kept")


def test_without_the_update_the_rows_would_differ(con):
    """The rows before the day are not the day's: reading them unchanged would be wrong."""
    rows, _ = range_groups.kept(con, BYS, AS_IT_WAS)
    before = read(con, rows)
    a_day(con)
    assert before != computed(con)
    assert {r[0] for r in set(computed(con)) - set(before)} == {1, 2, 3, 4}


def test_a_directory_change_builds_the_rows_again(con):
    rows, _ = range_groups.kept(con, BYS, AS_IT_WAS)
    a_day(con)
    range_groups.kept(con, BYS, AS_IT_WAS)
    con.execute("update people set department = 'Legal' where person_key = 2")
    assert range_groups.kept(con, BYS, AS_IT_WAS) == (rows, "full")
    assert read(con, rows) == computed(con) and since(con) == []
    assert ("Legal",) in con.execute(f"select by_group from {rows} where person_key = 2").fetchall()


def test_an_activity_gone_builds_the_rows_again(con):
    rows, _ = range_groups.kept(con, BYS, AS_IT_WAS)
    con.execute("delete from activities where activity_uid = 1")
    refresh(con)
    assert range_groups.kept(con, BYS, AS_IT_WAS) == (rows, "full")
    assert read(con, rows) == computed(con)


def test_other_attributes_build_the_rows_again(con):
    range_groups.kept(con, BYS, AS_IT_WAS)
    a_day(con)
    rows, mode = range_groups.kept(con, ["site", *BYS], AS_IT_WAS)
    assert mode == "full" and {r[1] for r in read(con, rows)} == {"site", *BYS}


def test_todays_organisation_is_kept_apart(con):
    today, _ = range_groups.kept(con, BYS, TODAY)
    as_it_was, _ = range_groups.kept(con, BYS, AS_IT_WAS)
    a_day(con)
    assert range_groups.kept(con, BYS, TODAY) == (today, "update")
    # today's organisation moves nobody: the day's people only
    assert since(con, TODAY) == [1, 2, 4]
    assert read(con, today) == computed(con, TODAY) and read(con, today) != read(con, as_it_was)
    assert range_groups.kept(con, BYS, AS_IT_WAS)[1] == "update"
    assert read(con, as_it_was) == computed(con)


def test_too_many_people_since_build_the_rows_again(con, monkeypatch):
    rows, _ = range_groups.kept(con, BYS, AS_IT_WAS)
    monkeypatch.setattr(range_groups, "SINCE_AT_LEAST", 3)  # four people touched: more than 3 and a quarter
    a_day(con)
    assert range_groups.kept(con, BYS, AS_IT_WAS) == (rows, "full")
    assert read(con, rows) == computed(con) and since(con) == []


def test_stale_bases_keep_nothing(con):
    _activities(con, 2, [("2026-03-12 09:00", 1, "post", None)])
    assert range_groups.kept(con, BYS, AS_IT_WAS) is None
