"""The store: creation, migration of an existing file, atomic publish, readers during a load."""

from __future__ import annotations

import duckdb
import pytest

from ruche import store


def test_a_new_store_is_at_the_latest_schema_version(tmp_path):
    con = store.connect(tmp_path / "new.duckdb")
    versions = [v for v, _, _ in store.migrations()]
    assert store.schema_version(con) == versions[-1]
    applied = [r[0] for r in con.execute("select version from schema_version order by version").fetchall()]
    assert applied == versions


def test_an_existing_older_store_is_migrated_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.duckdb"
    first_version, first_name, first_sql = store.migrations()[0]
    with duckdb.connect(str(db)) as con:  # a store as the first release left it
        con.execute("create table schema_version (version integer primary key, name varchar, applied_at timestamp)")
        con.execute(first_sql)
        con.execute("insert into schema_version values (?, ?, now())", [first_version, first_name])
        con.execute("insert into people (person_id, department) values ('abc', 'Sales')")
    con = store.connect(db)
    assert store.schema_version(con) == store.latest_version()
    assert con.execute("select person_id, department from people").fetchall() == [("abc", "Sales")]
    # opening it again applies nothing
    assert store.migrate(con) == []


def test_read_only_refuses_a_file_that_is_not_a_store(tmp_path):
    db = tmp_path / "other.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(store.StoreError, match="not a Ruche store"):
        store.connect(db, read_only=True)
    with pytest.raises(store.StoreError, match="no store here"):
        store.connect(tmp_path / "missing.duckdb", read_only=True)


def test_a_failed_load_leaves_the_published_store_untouched(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db) as con:
        con.execute("insert into people (person_id) values ('a')")
    before = store.published_version(db)
    with pytest.raises(RuntimeError):
        with store.writing(db) as con:
            con.execute("insert into people (person_id) values ('b')")
            raise RuntimeError("the export was truncated")
    assert store.published_version(db) == before
    assert store.connect(db, read_only=True).execute("select person_id from people").fetchall() == [("a",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb", "s.duckdb.lock"]


def test_a_reader_keeps_its_view_during_a_load_and_sees_the_new_one_after(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db) as con:
        con.execute("insert into people (person_id) values ('a')")
    reader = store.connect(db, read_only=True)
    with store.writing(db) as con:
        con.execute("insert into people (person_id) values ('b')")
        # while the load runs, the reader still answers, from the published store
        assert reader.execute("select count(*) from people").fetchall() == [(1,)]
    assert reader.execute("select count(*) from people").fetchall() == [(1,)]
    assert store.connect(db, read_only=True).execute("select count(*) from people").fetchall() == [(2,)]


def test_a_second_writer_that_will_not_wait_is_told_why(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db):
        with pytest.raises(store.WriteLockBusy, match="another load is running"):
            with store.writing(db, wait=False):
                pass


def test_a_copy_abandoned_by_a_killed_load_is_removed_by_the_next_load(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db):
        pass
    (tmp_path / "s.duckdb.loading-999999").write_bytes(b"half a store")
    (tmp_path / "s.duckdb.loading-999999.wal").write_bytes(b"")
    with store.writing(db):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb", "s.duckdb.lock"]


def test_a_migration_numbered_below_one_already_applied_is_still_applied(tmp_path, monkeypatch):
    real = store.migrations()
    extra = [(900, "900_late.sql", "create table late (x integer)"),
             (950, "950_later.sql", "create table later (x integer)")]
    monkeypatch.setattr(store, "migrations", lambda: real + [extra[1]])
    con = store.connect(tmp_path / "s.duckdb")
    monkeypatch.setattr(store, "migrations", lambda: real + extra)
    assert store.migrate(con) == [900]
    assert con.execute("select count(*) from late").fetchall() == [(0,)]


def test_a_memory_limit_applies_to_every_store_opened_after_it(tmp_path):
    db = tmp_path / "s.duckdb"
    store.connect(db).close()
    try:
        store.limit_memory("512MB")
        for read_only in (False, True):
            con = store.connect(db, read_only=read_only)
            assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "488.2 MiB"
            con.close()
        with pytest.raises(store.StoreError, match="memory_limit '12 apples': Unknown unit for memory"):
            store.limit_memory("12 apples")
    finally:
        store.limit_memory("")
    con, default = store.connect(tmp_path / "other.duckdb"), duckdb.connect()
    setting = "select current_setting('memory_limit')"
    assert con.execute(setting).fetchone() == default.execute(setting).fetchone()  # DuckDB's own again
    con.close()


def test_the_commands_take_the_memory_limit_from_the_settings(tmp_path, monkeypatch, capsys):
    from ruche.cli import main

    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("RUCHE_MEMORY_LIMIT", "lots")
    assert main(["metrics", "participation", "--db", str(db)]) == 1
    assert "memory_limit 'lots': Memory must have a number" in capsys.readouterr().err
    try:
        monkeypatch.setenv("RUCHE_MEMORY_LIMIT", "300MB")
        (tmp_path / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
        monkeypatch.setenv("RUCHE_KEY", "ab" * 32)
        assert main(["ingest", str(tmp_path / "hr.csv"), "--db", str(db), "--no-progress"]) == 0
        assert store._memory_limit == "300MB"
    finally:
        store.limit_memory("")


def test_the_private_copy_is_a_clone_where_the_file_system_can_and_a_copy_elsewhere(tmp_path, monkeypatch):
    source = tmp_path / "s.duckdb"
    source.write_bytes(bytes(range(256)) * 40_000)
    how = store.clone(source, tmp_path / "a")
    assert how in ("clone", "copy") and (tmp_path / "a").read_bytes() == source.read_bytes()
    assert (tmp_path / "a").stat().st_mtime_ns == source.stat().st_mtime_ns

    def refused(*args):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(store.fcntl, "ioctl", refused)  # ext4, tmpfs: no clones
    assert store.clone(source, tmp_path / "b") == "copy"
    assert (tmp_path / "b").read_bytes() == source.read_bytes()
    monkeypatch.setattr(store.os, "copy_file_range", refused)  # nor copies in the kernel
    assert store.clone(source, tmp_path / "c") == "copy"
    assert (tmp_path / "c").read_bytes() == source.read_bytes()


def test_ingest_suggests_a_lake_when_copying_the_store_costs_more_than_the_threshold(tmp_path, monkeypatch, capsys):
    from ruche.cli import main

    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,user1@acme.com,Sales\nE2,user2@acme.com,Sales\n")
    (tmp_path / "events.csv").write_text("occurred_at,actor,kind,target,space,thread,id\n"
                                         "2026-01-05T10:00:00Z,user1@acme.com,post,,s1,t1,e1\n")
    assert main(["ingest", str(tmp_path / "hr.csv"), "--db", str(db)]) == 0
    assert capsys.readouterr().err == ""  # the copies of a small store cost nothing worth a word
    copied = len(store.copies)
    monkeypatch.setattr(store, "COPY_WARNING_SECONDS", 0.0)
    monkeypatch.setattr(store, "clone", lambda source, copy: (store.shutil.copyfile(source, copy), "copy")[1])
    assert main(["ingest", str(tmp_path / "events.csv"), "--db", str(db)]) == 0
    made = store.copies[copied:]
    assert [c.how for c in made] == ["copy", "copy"]  # the load's and its refresh's
    assert made[-1].bytes == db.stat().st_size
    err = capsys.readouterr().err
    assert err == (f"ruche ingest: warning: publishing {db} copied it twice (0.0 GB, "
                   f"{sum(c.seconds for c in made):.1f} s in all): its file system cannot clone files. A store on "
                   "DuckLake publishes without copying: `ruche lake --to URL` moves it (docs/store.md, \"When to "
                   "move\")\n")
