"""The generic events file, CSV and Parquet."""

from __future__ import annotations

import os

import duckdb
import pytest

import ingest
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

DIRECTORY = "id,email,department\nE1,alice@acme.com,Sales\nE2,bob@acme.com,IT\n"
EVENTS = """\
occurred_at,actor,kind,target,space,thread
2024-03-05T10:00:00Z,E1,post,,wiki,t1
2024-03-05T11:00:00+01:00,bob@acme.com,reply,E1,wiki,t1
2024-03-05T12:00:00,E1,reaction,bob@acme.com,wiki,t1
2024-03-05T12:00:00,E1,reaction,bob@acme.com,wiki,t1
2024-03-05T12:00:00,E99,post,,wiki,t2
2024-03-05T12:00:00,E1,shout,,wiki,t2
tomorrow,E1,post,,wiki,t2
2024-03-06,new@partner.org,read,,,
"""


def pid(v):
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(v)


def load_both(tmp_path, events_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text(DIRECTORY)
    return db, ingest.load([tmp_path / "hr.csv", events_path], db=db, settings=Settings())


def check(db, summary):
    assert [i.to_dict() for i in summary[1].inputs if i.name == "events"] == [
        {"input": "events", "read": 8, "loaded": 4, "rejected": 3, "skipped": {"listed twice": 1}}]
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("""
        select cast(a.occurred_at as varchar), p.person_id, a.kind, t.person_id, s.space_ref, a.thread_ref
        from activities a join people p using (person_key) left join people t on t.person_key = a.target_key
        left join spaces s using (space_key) order by all""").fetchall()
    alice, bob = pid("alice@acme.com"), pid("bob@acme.com")
    assert got == sorted([
        ("2024-03-05 10:00:00", alice, "post", None, "wiki", "t1"),
        ("2024-03-05 10:00:00", bob, "reply", alice, "wiki", "t1"),
        ("2024-03-05 12:00:00", alice, "reaction", bob, "wiki", "t1"),
        ("2024-03-06 00:00:00", pid("new@partner.org"), "read", None, None, None),
    ], key=str)
    assert sorted(r[0] for r in con.execute("select reason from rejects").fetchall()) == [
        "actor matches no directory id or e-mail",
        "kind is not one of post, reply, reaction, mention, read, join",
        "occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)",
    ]
    assert con.execute("select count(*) from people where is_external").fetchone()[0] == 1


def reject_places(db) -> list[tuple[int, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select line, reason from rejects order by line").fetchall()
    finally:
        con.close()


PLACES = [(5, "actor matches no directory id or e-mail"),
          (6, "kind is not one of post, reply, reaction, mention, read, join"),
          (7, "occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)")]


def test_csv(tmp_path):
    (tmp_path / "ev.csv").write_text(EVENTS)
    db, summary = load_both(tmp_path, tmp_path / "ev.csv")
    check(db, summary)
    # the header is line 1: the fifth record (E99) is on line 6
    assert reject_places(db) == [(line + 1, reason) for line, reason in PLACES]


def test_parquet(tmp_path):
    (tmp_path / "ev.csv").write_text(EVENTS)
    duckdb.execute(f"copy (select * from read_csv('{tmp_path / 'ev.csv'}', all_varchar=true)) to '{tmp_path / 'ev.parquet'}'")
    db, summary = load_both(tmp_path, tmp_path / "ev.parquet")
    check(db, summary)
    # a Parquet file has rows, no header line: the fifth row (E99) is row 5
    assert reject_places(db) == PLACES


def test_a_parquet_file_all_rejected_names_its_first_row(tmp_path):
    (tmp_path / "ev.csv").write_text("occurred_at,actor,kind\n2024-03-05,E1,post\n2024-03-05,E1,shout\n")
    duckdb.execute(f"copy (select * from read_csv('{tmp_path / 'ev.csv'}', all_varchar=true) where kind = 'shout') "
                   f"to '{tmp_path / 'ev.parquet'}'")
    with pytest.raises(ingest.IngestError) as err:
        load_both(tmp_path, tmp_path / "ev.parquet")
    assert str(err.value) == (f"{tmp_path / 'ev.parquet'}, row 1: kind is not one of post, reply, reaction, mention, "
                              "read, join (every record rejected: nothing loaded)")


def test_a_load_gives_duckdb_what_memory_limit_leaves_beside_python(tmp_path, monkeypatch):
    """What a load holds beside DuckDB counts in memory_limit (ruche.store.MemoryShare): while a
    file loads, DuckDB's own limit is the budget less what the process holds outside it, less a fifth
    kept for what is in transit, and the whole limit is back once it is loaded."""
    import importlib

    from ingest.runner import SOURCES
    from ruche.store import DUCKDB_FLOOR, IN_TRANSIT, memory_bytes, resident_bytes

    import ruche.store

    monkeypatch.setattr(ruche.store, "_memory_limit", ruche.store._memory_limit)  # the load sets it for the process
    module = importlib.import_module(SOURCES["events"])
    seen = []
    real = module.load

    def spying(ctx, *args):
        held = ctx.con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0]
        seen.append((memory_bytes(ctx.con.execute("select current_setting('memory_limit')").fetchone()[0]),
                     resident_bytes() - held))
        return real(ctx, *args)

    monkeypatch.setattr(module, "load", spying)
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text(DIRECTORY)
    summaries = ingest.load([tmp_path / "hr.csv", events], db=db, settings=Settings(values={"memory_limit": "4GB"}),
                             refresh=False)
    assert [s.status for s in summaries] == ["loaded", "loaded"]
    (limit, outside), = seen
    assert 4e9 * DUCKDB_FLOOR < limit < (4e9 - outside * 0.9) * (1 - IN_TRANSIT)  # Python's share is not DuckDB's
    assert outside > 50e6  # this interpreter, DuckDB and polars loaded: never nothing


def test_references_are_looked_up_by_hash_joins_not_loops_over_the_directory(tmp_path):
    """An events file's actors and targets are matched to the directory by two equalities (the
    pseudonymised e-mail, the pseudonymised employee id): a condition beside either made DuckDB
    loop over every person for every reference (0.7 s of a 10,000-event day on 100,000 people)."""
    from ingest.common import queries

    (tmp_path / "ev.csv").write_text(EVENTS)
    db, _ = load_both(tmp_path, tmp_path / "ev.csv")
    con = duckdb.connect(str(db))
    Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).install(con)
    con.execute("create temp table stg_events_typed as select * from (values ('E1', 'bob@acme.com')) t(actor, target)")
    plan = "\n".join(r[1] for r in con.execute("explain " + queries("events.sql")["ref_map"]).fetchall())
    assert "NL_JOIN" not in plan and "NESTED_LOOP" not in plan
    assert plan.count("HASH_JOIN") == 2
    con.execute(queries("events.sql")["ref_map"])
    assert con.execute("select ref, p.person_id from ref_map join people p using (person_key) order by ref").fetchall() == [
        ("E1", pid("alice@acme.com")), ("bob@acme.com", pid("bob@acme.com"))]
