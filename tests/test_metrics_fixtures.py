"""Tiny stores for the metric tests: people and activities written as plain Python rows.

Imported by the ``test_metrics_*`` modules.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

import duckdb
import polars as pl

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
    if not people:
        return
    for row in people:
        unknown = set(row) - set(PEOPLE_COLUMNS)
        assert not unknown, unknown
    columns = [c for c in PEOPLE_COLUMNS if any(c in row for row in people)]
    defaults = {"in_directory": True, "is_external": False}
    frame = pl.DataFrame(
        [[row.get(c, defaults.get(c)) for c in columns] for row in people], schema=columns, orient="row",
        infer_schema_length=None,
    )
    con.register("new_people", frame)
    con.execute(f"insert into people ({', '.join(columns)}) select {', '.join(columns)} from new_people")
    con.unregister("new_people")


def add_activities(con: duckdb.DuckDBPyConnection, activities: list[dict]) -> None:
    rows = [
        (next(_uid), a["source"], str(a["occurred_at"]), a["person_key"], a["kind"], a["space_key"], a["thread_ref"],
         a["target_key"], a["run_id"])
        for a in activities
    ]
    if rows:
        frame = pl.DataFrame(
            rows, orient="row", schema={"activity_uid": pl.Int64, "source": pl.Utf8, "occurred_at": pl.Utf8,
                                        "person_key": pl.Int64, "kind": pl.Utf8, "space_key": pl.Int64,
                                        "thread_ref": pl.Utf8, "target_key": pl.Int64, "run_id": pl.Int64},
        )
        con.register("new_activities", frame)
        con.execute("insert into activities by name select * replace (occurred_at::timestamp as occurred_at) "
                    "from new_activities")
        con.unregister("new_activities")


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
