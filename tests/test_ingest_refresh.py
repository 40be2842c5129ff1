"""A load publishes its rows, then refreshes the derived tables in a second published write."""

from __future__ import annotations

import duckdb

import ingest
import ingest.cli
from ruche.cli import main
from ruche.config import Settings

EVENTS = (
    "occurred_at,actor,kind,target,space,thread\n"
    "2026-01-05T10:00:00Z,a@acme.com,post,,wiki,t1\n"
    "2026-01-06T10:00:00Z,b@acme.com,reply,a@acme.com,wiki,t1\n"
    "2026-01-07T10:00:00Z,a@acme.com,reaction,b@acme.com,wiki,t1\n"
)


def query(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def derived_tables(db) -> list[str]:
    return [t for (t,) in query(db, "select table_name from information_schema.tables "
                                    "where table_name like 'm\\_%' escape '\\' order by 1")]


def test_the_refresh_runs_apart_and_after_the_load(tmp_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "ev.csv").write_text(EVENTS)
    summary = ingest.load(tmp_path / "ev.csv", db=db, settings=Settings(), refresh=False)
    assert summary.loaded == 3 and query(db, "select count(*) from activities") == [(3,)]
    assert derived_tables(db) == []  # published without them
    done = ingest.refresh_derived(db, Settings())
    assert done["mode"] == "full"
    assert {"m_person_day", "m_person_period", "m_state"} <= set(derived_tables(db))
    assert query(db, "select sum(activities) from m_person_day") == [(3,)]


def test_a_failed_refresh_keeps_the_load_and_says_so(tmp_path, monkeypatch, capsys):
    db = tmp_path / "s.duckdb"
    (tmp_path / "ev.csv").write_text(EVENTS)

    def broken(con, settings):
        con.execute("create table m_half_done as select 1 as x")  # part of a refresh, never published
        raise RuntimeError("out of memory")

    monkeypatch.setattr(ingest.cli, "_refresh_metrics", broken)
    assert main(["ingest", str(tmp_path / "ev.csv"), "--db", str(db)]) == ingest.cli.EXIT_NOT_REFRESHED
    out, err = capsys.readouterr()
    assert "loaded in" in out and "activities +3" in out
    assert "the load was published, but refreshing the derived tables after it failed (out of memory)" in err
    assert query(db, "select count(*) from activities") == [(3,)]
    assert derived_tables(db) == []


def test_a_load_that_changes_nothing_refreshes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    (tmp_path / "ev.csv").write_text(EVENTS)
    calls = []
    real = ingest.cli._refresh_metrics
    monkeypatch.setattr(ingest.cli, "_refresh_metrics", lambda con, settings: calls.append(1) or real(con, settings))
    assert ingest.load(tmp_path / "ev.csv", db=db, settings=Settings()).status == "loaded"
    published = db.read_bytes()
    assert ingest.load(tmp_path / "ev.csv", db=db, settings=Settings()).status == "unchanged"
    assert calls == [1]
    assert db.read_bytes() == published
