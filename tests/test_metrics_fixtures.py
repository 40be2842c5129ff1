"""Tiny stores for the metric tests: people and activities written as plain Python rows.

Imported by the ``test_metrics_*`` modules.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

import duckdb

from ruche.store import connect

PEOPLE_COLUMNS = (
    "person_key", "person_id", "in_directory", "is_external", "department", "team", "site", "country", "level",
    "manager_key", "frontline", "hired_on", "left_on", "has_photo", "has_title", "has_location", "has_about",
)


def person(key: int, **attributes) -> dict:
    """A person row: ``person_id`` defaults to ``p<key>``, everybody is internal unless told."""
    return {"person_key": key, "person_id": f"p{key}", "in_directory": True, **attributes}


def act(who: int, kind: str, when: str | date | datetime, target: int | None = None, thread: str | None = None,
        space: int | None = None, run: int = 1, source: str = "x") -> dict:
    return {"person_key": who, "kind": kind, "occurred_at": when, "target_key": target, "thread_ref": thread,
            "space_key": space, "run_id": run, "source": source}


_uid = count(1)


def add_people(con: duckdb.DuckDBPyConnection, people: list[dict]) -> None:
    for row in people:
        unknown = set(row) - set(PEOPLE_COLUMNS)
        assert not unknown, unknown
        columns = list(row)
        con.execute(
            f"insert into people ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )


def add_activities(con: duckdb.DuckDBPyConnection, activities: list[dict]) -> None:
    rows = [
        (next(_uid), a["source"], a["occurred_at"], a["person_key"], a["kind"], a["space_key"], a["thread_ref"],
         a["target_key"], a["run_id"])
        for a in activities
    ]
    if rows:
        con.executemany(
            "insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, thread_ref, "
            "target_key, run_id) values (?, ?, ?::timestamp, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def add_snapshot(con: duckdb.DuckDBPyConnection, who: int, report_date: str, read: int = 0, liked: int = 0,
                 posted: int = 0, last_activity: str | None = None, run: int = 1, days: int = 7) -> None:
    con.execute(
        "insert into usage_snapshots (source, person_key, report_date, period_days, last_activity, posted_count, "
        "read_count, liked_count, run_id) values ('m365', ?, ?, ?, ?, ?, ?, ?, ?)",
        [who, report_date, days, last_activity, posted, read, liked, run],
    )


def make_store(people: list[dict] = (), activities: list[dict] = (), path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = connect(path)
    add_people(con, list(people))
    add_activities(con, list(activities))
    return con


def test_make_store_writes_people_and_activities():
    con = make_store([person(1, department="Ops"), person(2, is_external=True)],
                     [act(1, "post", "2026-01-05 10:00", thread="t1"), act(2, "reply", "2026-01-06", target=1, thread="t1")])
    assert con.execute("select person_key, department, is_external from people order by 1").fetchall() == [
        (1, "Ops", False), (2, None, True)
    ]
    assert con.execute("select person_key, kind::varchar, target_key from activities order by 1").fetchall() == [
        (1, "post", None), (2, "reply", 1)
    ]
