"""The store on DuckLake, its catalog in a real PostgreSQL server (started by the tests on
127.0.0.1) or in SQLite: the same figures as the store file, readers pinned to a snapshot, a
killed write that publishes nothing, writes that take turns."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import registry
from ruche import lake, store
from ruche.cli import main
from tests.pg import Server
from tests.test_ingest_atomic import READER  # another process reading each published version

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def postgres():
    server = Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_lake(postgres, tmp_path) -> str:
    """An empty DuckLake store: its catalog in a new PostgreSQL database, its files in tmp_path."""
    return f"ducklake:postgres:{postgres.new_database()} data_path={tmp_path}/lake-files/"


#: What a result says of how it was computed, not of the figures: the time taken, and whether it
#: was read from the derived tables (refreshed on the store file, computed on the lake)
# how a figure was obtained, not what it is: the time taken, and the age of stored person-graph results
NOT_FIGURES = {"seconds", "materialised", "computed_at", "data_to", "current"}


def same(a, b, path: str = "") -> list[str]:
    """Where two metric results differ (frames, nested extras). Floating-point
    figures may differ in their last bits (a sum taken in another order), never more."""
    if isinstance(a, pl.DataFrame):
        if not isinstance(b, pl.DataFrame):
            return [path or "rows"]
        try:
            assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
        except AssertionError:
            return [path or "rows"]
        return []
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) else [path]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() - NOT_FIGURES != b.keys() - NOT_FIGURES:
            return [path + " keys"]
        return [d for k in a if k not in NOT_FIGURES for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [path + " length"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def test_every_metric_is_the_same_on_the_store_file_and_on_ducklake_in_postgresql(sample_store, pg_lake, capsys):
    file_con = store.connect(sample_store, read_only=True)
    tables = [r[0] for r in file_con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and table_name <> 'schema_version' "
        "order by 1").fetchall()]
    counts = {t: file_con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    assert any(t.startswith("m_") for t in tables)  # the derived tables are copied too

    assert main(["lake", "--db", str(sample_store), "--to", pg_lake]) == 0
    out = capsys.readouterr().out
    assert out == (f"copied {len(tables)} tables, {sum(counts.values()):,} rows, from {sample_store} to {pg_lake}\n")
    lake_con = store.connect(pg_lake, read_only=True)
    assert {t: lake_con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables} == counts

    compared = []
    for name in registry.names():
        for by in sorted({registry.DEFAULT_BY.get(name, "department"), "site"}):
            params = registry.MetricParams(by=by, period="month")
            on_file = registry.get(name)(store.cursor(file_con), params)
            on_lake = registry.get(name)(store.cursor(lake_con), params)
            assert same(on_file.rows, on_lake.rows) == [], (name, by)
            assert same(on_file.extra, on_lake.extra) == [], (name, by)
            assert on_file.suppressed_groups == on_lake.suppressed_groups, (name, by)
            compared.append((name, by, on_file.rows.height))
    assert len({n for n, _, _ in compared}) == len(registry.names())
    assert sum(h for _, _, h in compared) > 0


#: What a derived table records of when and how fast it was computed, not of the figures
VOLATILE_STATE = {"m_state": ("refreshed_at",), "m_network_state": ("computed_at", "seconds")}


def derived_differences(file_con, lake_con) -> list[str]:
    """Where the derived tables of two stores differ, row for row: every ``m_*`` table of the
    file (each value as text, every row in order), the lake's having the same ones; the stored
    results of the dashboard (``m_results``) compared decoded, as the pages read them."""
    from metrics.results import _decode, frame_of

    listing = ("select table_name from duckdb_tables() where table_name like 'm\\_%' escape '\\' "
               "and schema_name = 'main' order by 1")
    tables = [r[0] for r in file_con.execute(listing).fetchall()]
    if [r[0] for r in lake_con.execute(listing).fetchall()] != tables:
        return ["tables"]
    found = []
    for table in tables:
        if table == "m_results":
            query = "select key, state, rows, suppressed, extra::varchar from m_results order by key"
            a, b = file_con.execute(query).fetchall(), lake_con.execute(query).fetchall()
            if [r[:2] + r[3:4] for r in a] != [r[:2] + r[3:4] for r in b]:
                found.append("m_results keys")
                continue
            for x, y in zip(a, b):
                found += same(frame_of(x[2]), frame_of(y[2]), f"m_results {x[0]}")
                found += same(_decode(json.loads(x[4])), _decode(json.loads(y[4])), f"m_results {x[0]} extra")
            continue
        if table == "m_results_facts":  # what the results were computed from: the same counts and days;
            # its digest of people's rows differs (their updated_at is the time of each store's load)
            facts = [json.loads(c.execute("select facts from m_results_facts").fetchone()[0])
                     for c in (file_con, lake_con)]
            for f in facts:
                f["tables"] = [n for n, _ in f["tables"]]
            if facts[0] != facts[1]:
                found.append(table)
            continue
        columns = [r[0] for r in file_con.execute(
            "select column_name from duckdb_columns() where table_name = ? order by column_index", [table]).fetchall()]
        if [r[0] for r in lake_con.execute(
                "select column_name from duckdb_columns() where table_name = ? order by column_index",
                [table]).fetchall()] != columns:
            found.append(f"{table} columns")
            continue
        where = ""
        if table in VOLATILE_STATE:
            where = " where key not in (" + ", ".join(f"'{k}'" for k in VOLATILE_STATE[table]) + ")"
        query = f'select {", ".join(chr(34) + c + chr(34) + "::varchar" for c in columns)} from "{table}"{where} order by all'
        a, b = file_con.execute(query).fetchall(), lake_con.execute(query).fetchall()
        if a != b:
            found.append(f"{table}: {len(a)} rows against {len(b)}")
    return found


def metric_differences(file_con, lake_con, names=None) -> list[tuple]:
    differ = []
    for name in names or registry.names():
        params = registry.MetricParams(by=registry.DEFAULT_BY.get(name, "department"), period="month")
        on_file = registry.get(name)(store.cursor(file_con), params)
        on_lake = registry.get(name)(store.cursor(lake_con), params)
        if (same(on_file.rows, on_lake.rows) or same(on_file.extra, on_lake.extra)
                or on_file.suppressed_groups != on_lake.suppressed_groups):
            differ.append(name)
    return differ


#: What `ruche metrics` prints of these, byte for byte the same from either store
CLI_METRICS = ("participation", "leadership", "silos", "inactive-teams", "lifecycle", "responsiveness")


def cli_figures(db: str, capsys) -> dict[str, str]:
    printed = {}
    for name in CLI_METRICS:
        capsys.readouterr()
        assert main(["metrics", name, "--db", db, "--format", "csv"]) == 0, name
        printed[name] = capsys.readouterr().out
    return printed


def test_the_sample_loaded_into_ducklake_in_postgresql_gives_every_figure_the_store_file_gives(
        sample_store, pg_lake, capsys):
    """The same exports loaded by `ruche demo` into each store: every derived table refreshed on
    both after each load, row for row the same; the figures the metrics, the dashboard's stored
    results and `ruche metrics` give, the same."""
    from metrics.bases import is_fresh
    from metrics.refresh import derived_current

    done = subprocess.run([sys.executable, "-m", "ruche.cli", "demo", "--no-serve", "--db", pg_lake], cwd=ROOT,
                          env=dict(os.environ, RUCHE_KEY="ab" * 32), capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    file_con, lake_con = store.connect(sample_store, read_only=True), store.connect(pg_lake, read_only=True)
    for table in ("people", "accounts", "spaces", "activities", "deleted_events", "usage_snapshots", "rejects",
                  "ingest_runs", "loaded_files", "home_domains", "people_history"):
        query = f"select count(*) from {table}"
        assert lake_con.execute(query).fetchall() == file_con.execute(query).fetchall(), table
    # the same keys given to the same people and spaces, in the same order
    for query in ("select person_key, person_id, department, in_directory from people order by 1",
                  "select space_key, source, space_ref from spaces order by 1",
                  "select run_id, source, rows_read, rows_loaded, rows_rejected, rows_skipped from ingest_runs order by 1",
                  "select sum((activity_uid::uhugeint % 1000003)::bigint), sum(person_key), count(distinct kind) from activities"):
        assert lake_con.execute(query).fetchall() == file_con.execute(query).fetchall(), query
    # the derived tables refreshed on the lake, and describing it: the metrics read them there too
    assert derived_current(lake_con) and is_fresh(lake_con)
    assert lake_con.execute("select count(*) from m_results").fetchone()[0] == file_con.execute(
        "select count(*) from m_results").fetchone()[0] > 200
    assert derived_differences(file_con, lake_con) == []
    assert metric_differences(file_con, lake_con) == []
    assert cli_figures(pg_lake, capsys) == cli_figures(str(sample_store), capsys)


def day_after_the_sample(path: Path) -> Path:
    """A day of events after the sample's last (2026-10-31) by people of its directory: a load that
    only adds activities, which the derived tables take in without a full rebuild."""
    header = "occurred_at,actor,kind,target,space,thread,id"
    people = [line.split(",")[1] for line in (ROOT / "sample_data" / "directory.csv").read_text().splitlines()[1:41]]
    lines = [f"2026-11-01T{8 + i % 10:02d}:{i % 60:02d}:00Z,{people[i % 40]},{'post' if i % 3 == 0 else 'reply'},"
             f"{'' if i % 3 == 0 else people[(i + 5) % 40]},day-space-{i % 4},day-thread-{i // 3},day-{i}"
             for i in range(300)]
    path.write_text("\n".join([header] + lines) + "\n")
    return path


def test_a_day_added_to_a_lake_refreshes_its_derived_tables_as_on_the_file(sample_store, pg_lake, tmp_path,
                                                                           monkeypatch):
    """The copy made by `ruche lake`, then one more day loaded into it and into a copy of the file:
    the lake's refresh takes the day in (the bases incrementally, the results' periods from the day
    on), in one snapshot, to the derived tables the file's refresh gives, row for row."""
    import shutil

    from ingest.cli import load_paths, refresh_derived
    from ruche.config import Settings

    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)
    file_db = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_store, file_db)
    assert main(["lake", "--db", str(file_db), "--to", pg_lake]) == 0
    day = day_after_the_sample(tmp_path / "day.csv")
    done = {}
    for db in (str(file_db), pg_lake):
        settings = Settings.load()
        (summary,) = load_paths([day], source="events", db=db, settings=settings, refresh=False)
        assert (summary.status, summary.loaded) == ("loaded", 300)
        before = store.published_version(db)
        done[db] = refresh_derived(db, settings)
        if db == pg_lake:
            assert store.published_version(db) == (before[0] + 1, 0)  # one snapshot for every derived table
    for what in done.values():
        assert (what["mode"], what["group_ties"]["mode"], what["results"]["mode"]) == ("incremental", "update", "periods")
    file_con, lake_con = store.connect(file_db, read_only=True), store.connect(pg_lake, read_only=True)
    assert lake_con.execute("select count(*) from activities").fetchone()[0] == 49_683
    assert derived_differences(file_con, lake_con) == []
    assert metric_differences(file_con, lake_con, ["participation", "leadership", "silos", "responsiveness"]) == []


def test_a_later_export_repeating_events_adds_only_the_new_ones_to_a_lake(pg_lake, tmp_path):
    """Event keys are 128-bit digests, which a Parquet file cannot hold as integers: the lake keeps
    them exactly, so the events a later export repeats are recognised."""
    header = "occurred_at,actor,kind,target,space,thread,id"
    lines = [f"2026-01-{5 + i % 20:02d}T10:00:00Z,user{i % 300}@acme.example,{'post' if i % 4 == 0 else 'reply'},"
             f"{'' if i % 4 == 0 else f'user{(i + 7) % 300}@acme.example'},s{i % 9},t{i // 4},ev{i}"
             for i in range(6000)]  # enough rows to be written to Parquet files, not inlined in the catalog
    (tmp_path / "week1.csv").write_text("\n".join([header] + lines) + "\n")
    (tmp_path / "week2.csv").write_text("\n".join([header] + lines + [
        "2026-02-01T10:00:00Z,user1@acme.example,post,,s1,t9999,ev-new"]) + "\n")
    assert main(["ingest", str(tmp_path / "week1.csv"), "--db", pg_lake]) == 0
    assert main(["ingest", str(tmp_path / "week2.csv"), "--db", pg_lake]) == 0
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select count(*), count(distinct activity_uid) from activities").fetchall() == [(6001, 6001)]
    assert con.execute("select run_id, rows_read, rows_loaded, rows_skipped from ingest_runs order by 1").fetchall() == [
        (1, 6000, 6000, 0), (2, 6001, 1, 6000)]
    assert con.execute("select count(*) from ducklake_list_files('lake', 'activities')").fetchone()[0] >= 1


def test_a_lake_that_holds_a_store_is_not_copied_over(sample_store, pg_lake, capsys):
    assert main(["lake", "--db", str(sample_store), "--to", pg_lake]) == 0
    runs = store.connect(pg_lake, read_only=True).execute("select count(*) from ingest_runs").fetchone()[0]
    capsys.readouterr()
    assert main(["lake", "--db", str(sample_store), "--to", pg_lake]) == 1
    assert capsys.readouterr().err == (f"ruche lake: error: {pg_lake}: holds a store already ({runs} loads): "
                                       "copy into an empty catalog\n")


def test_a_reader_keeps_its_snapshot_during_a_write_and_sees_the_next_one_after(pg_lake):
    with store.writing(pg_lake) as con:
        con.execute("insert into people (person_key, person_id) values (1, 'a')")
    first = store.published_version(pg_lake)
    reader = store.connect(pg_lake, read_only=True)
    with store.writing(pg_lake) as con:
        con.execute("insert into people (person_key, person_id) values (2, 'b')")
        assert reader.execute("select count(*) from people").fetchall() == [(1,)]
        assert store.published_version(pg_lake) == first  # nothing published before the commit
    assert store.published_version(pg_lake) == (first[0] + 1, 0)
    assert reader.execute("select count(*) from people").fetchall() == [(1,)]  # pinned to its snapshot
    assert store.connect(pg_lake, read_only=True).execute("select count(*) from people").fetchall() == [(2,)]


def test_a_failed_write_publishes_nothing(pg_lake):
    with store.writing(pg_lake) as con:
        con.execute("insert into people (person_key, person_id) values (1, 'a')")
    before = store.published_version(pg_lake)
    with pytest.raises(RuntimeError):
        with store.writing(pg_lake) as con:
            con.execute("insert into people (person_key, person_id) values (2, 'b')")
            raise RuntimeError("the export was truncated")
    assert store.published_version(pg_lake) == before
    assert store.connect(pg_lake, read_only=True).execute("select person_id from people").fetchall() == [("a",)]


def test_audit_events_of_a_dashboard_are_folded_into_the_lake_by_the_next_write(pg_lake, tmp_path):
    from ruche import audit

    with store.writing(pg_lake):
        pass
    spool = audit.spool_path(pg_lake)
    assert spool.parent == tmp_path / "lake-files"  # in the shared data folder, one file per machine
    audit.record(spool, "ana@example.com", "admin", "view", "overview", {"by": "site"})
    with store.writing(pg_lake):
        pass
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select user_email, role, action, page, detail::varchar from audit_log").fetchall() == [
        ("ana@example.com", "admin", "view", "overview", '{"by": "site"}')]
    assert not spool.exists() and audit.pending(spool) == []


KILLED = textwrap.dedent("""
    import os, signal, sys
    from ruche import store
    with store.writing(sys.argv[1]) as con:
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "select i, 'events', timestamp '2026-01-01' + to_seconds(i), 1, 'post', 2 from range(300000) t(i)")
        con.execute("insert into people (person_key, person_id) values (2, 'b')")
        print(len([p for p in os.listdir(sys.argv[2])]), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
""")


def parquet_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.parquet"))


def test_a_write_killed_before_its_commit_publishes_nothing_and_the_next_removes_its_files(pg_lake, tmp_path):
    with store.writing(pg_lake) as con:
        con.execute("insert into people (person_key, person_id) values (1, 'a')")
    published = store.published_version(pg_lake)
    files = tmp_path / "lake-files"
    kept = parquet_files(files)
    done = subprocess.run([sys.executable, "-c", KILLED, pg_lake, str(files)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    written = parquet_files(files)
    assert len(written) > len(kept)  # the killed write had written its activities' files
    assert store.published_version(pg_lake) == published
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select count(*) from activities").fetchall() == [(0,)]
    assert con.execute("select person_id from people").fetchall() == [("a",)]
    # the lock died with the process: the next write runs at once, and removes the files no snapshot names
    with store.writing(pg_lake, wait=False) as con:
        con.execute("insert into people (person_key, person_id) values (3, 'c')")
    assert not set(written) - set(kept) & set(parquet_files(files))


HOLDER = textwrap.dedent("""
    import sys, time
    from ruche import store
    with store.writing(sys.argv[1]) as con:
        con.execute("insert into people (person_key, person_id) values (10, 'first')")
        print("writing", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_two_writes_take_turns(pg_lake):
    with store.writing(pg_lake):
        pass
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, pg_lake, "3"], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline() == "writing\n"
        with pytest.raises(store.WriteLockBusy, match="another load is running"):
            with store.writing(pg_lake, wait=False):
                pass
        started = time.monotonic()
        with store.writing(pg_lake) as con:  # waits for the first to publish
            waited = time.monotonic() - started
            assert con.execute("select person_id from people").fetchall() == [("first",)]
            con.execute("insert into people (person_key, person_id) values (11, 'second')")
        assert waited > 1
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0
    assert store.connect(pg_lake, read_only=True).execute(
        "select person_id from people order by person_key").fetchall() == [("first",), ("second",)]


WRITER = textwrap.dedent("""
    import sys
    from ruche import store
    with store.writing(sys.argv[1]) as con:
        for run in range(1, 6):   # five statements, one snapshot
            con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                        "select i + $run * 1000000, 'events', timestamp '2026-01-01' + to_seconds(i), 1, 'post', $run "
                        "from range(200000) t(i)", {"run": run})
""")


@pytest.mark.parametrize("catalog", ["sqlite", "postgres"])
def test_readers_in_other_processes_keep_answering_during_a_write_and_see_it_after(catalog, postgres, tmp_path):
    url = (f"ducklake:sqlite:{tmp_path}/catalog.sqlite" if catalog == "sqlite"
           else f"ducklake:postgres:{postgres.new_database()} data_path={tmp_path}/files/")
    with store.writing(url):
        pass
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, url, str(stop), str(out)], cwd=ROOT)
    try:
        time.sleep(1.0)
        writer = subprocess.run([sys.executable, "-c", WRITER, url], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert writer.returncode == 0, writer.stderr
        time.sleep(1.0)
    finally:
        stop.write_text("")
        reader.wait(timeout=60)
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert result["seen"] == [0, 1_000_000]  # before the write, then after it: never a part
    assert result["queries"] > 20


def test_the_extensions_come_from_their_packages_built_for_this_duckdb(monkeypatch):
    assert lake.extension_path("ducklake").parent.name == f"v{duckdb.__version__}"
    monkeypatch.setattr(lake.duckdb, "__version__", "9.9.9")
    with pytest.raises(store.StoreError, match=r"the ducklake extension installed is built for DuckDB "
                                               r"\d+\.\d+\.\d+, this is DuckDB 9\.9\.9: install the same version"):
        lake.extension_path("ducklake")


def test_a_store_name_that_is_no_catalog_is_refused_by_the_commands(tmp_path, capsys):
    assert main(["metrics", "participation", "--db", f"ducklake:{tmp_path}/x.ducklake"]) == 1
    assert capsys.readouterr().err == (
        f"ruche metrics: error: ducklake:{tmp_path}/x.ducklake: expected ducklake:postgres:CONNECTION "
        "data_path=FOLDER or ducklake:sqlite:FILE (a DuckDB catalog file cannot be read while a load writes it)\n")
    assert main(["metrics", "participation", "--db", f"ducklake:sqlite:{tmp_path}/none.sqlite"]) == 1
    assert capsys.readouterr().err == (f"ruche metrics: error: ducklake:sqlite:{tmp_path}/none.sqlite: no store "
                                       "here (run `ruche ingest` or `ruche lake` first)\n")


def test_purge_and_key_rotation_refuse_a_lake_and_say_why(tmp_path, capsys):
    """Their point is that rows or pseudonyms can no longer be read: a lake's earlier snapshots
    would keep them. They refuse before changing anything; `ruche key check` reads a lake."""
    url = f"ducklake:sqlite:{tmp_path}/catalog.sqlite"
    with store.writing(url) as con:
        con.execute("insert into people (person_key, person_id) values (1, 'a')")
    published = store.published_version(url)
    why = ("DuckLake keeps the rows a write deletes or rewrites in the Parquet files of its earlier snapshots (what "
           "lets a dashboard keep its view during a load), so {} would stay readable there; run it on the store "
           "file before moving it (`ruche lake`), or see docs/store.md\n")
    assert main(["purge", "--db", url]) == 1
    assert capsys.readouterr().err == (f"ruche purge: error: {url}: `ruche purge` works on a store file only: "
                                       + why.format("the person-level rows it deletes"))
    assert main(["key", "rotate", "--db", url, "--from", str(tmp_path), "--dry-run"]) == 1
    assert capsys.readouterr().err == (f"ruche key: error: {url}: `ruche key rotate` works on a store file only: "
                                       + why.format("the pseudonyms of the old key"))
    assert store.published_version(url) == published
    assert main(["key", "check", "--db", url]) == 0
    assert capsys.readouterr().out == (f"{url}: no load has recorded a key yet; the first load will record "
                                       "RUCHE_KEY.\n")


def events_file(path: Path, rows: int, first: int = 0) -> Path:
    duckdb.execute(f"""
        copy (
            select strftime(timestamp '2026-01-01' + to_seconds(i * 7), '%Y-%m-%dT%H:%M:%SZ') as occurred_at,
                   'user' || (i % 2000) || '@acme.example' as actor,
                   case i % 3 when 0 then 'post' when 1 then 'reply' else 'reaction' end as kind,
                   case when i % 3 > 0 then 'user' || ((i * 7) % 2000) || '@acme.example' end as target,
                   'space' || (i % 40) as space, 't' || (i // 4) as thread, 'ev' || i as id
            from range({first}, {first + rows}) t(i)
        ) to '{path}' (header)
    """)
    return path


def ingest_process(url: str, path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ruche.cli", "ingest", str(path), "--db", url], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 300
    while not ready():
        assert proc.poll() is None, f"the load ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL


def test_ruche_ingest_killed_while_loading_then_while_refreshing_a_lake_and_the_next_ingest_mends_it(
        pg_lake, tmp_path):
    """SIGKILL in the load's write: nothing published. SIGKILL once the load is published, in its
    refresh: the rows are there, the derived tables still describe the store before (and the
    metrics compute from the rows meanwhile). The same `ruche ingest` again: the file is already
    loaded, and the derived tables are brought up to date."""
    from metrics.bases import is_fresh
    from metrics.refresh import derived_current

    assert main(["ingest", str(events_file(tmp_path / "first.csv", 3000)), "--db", pg_lake]) == 0
    files = tmp_path / "lake-files"
    first = store.published_version(pg_lake)
    kept = set(parquet_files(files))
    big = events_file(tmp_path / "big.csv", 300_000, first=3000)

    load = ingest_process(pg_lake, big)
    kill_when(load, lambda: len(set(parquet_files(files)) - kept) >= 1, "it wrote files")
    assert store.published_version(pg_lake) == first
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select count(*), max(run_id) from activities").fetchall() == [(3000, 1)]
    assert derived_current(con)

    load = ingest_process(pg_lake, big)
    kill_when(load, lambda: store.published_version(pg_lake) != first, "it published")
    loaded = store.published_version(pg_lake)
    assert loaded == (first[0] + 1, 0)  # the load's snapshot, not the refresh's
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select count(*), max(run_id) from activities").fetchall() == [(303_000, 2)]
    assert not is_fresh(con) and not derived_current(con)  # what the metrics then compute from the rows

    again = subprocess.run([sys.executable, "-m", "ruche.cli", "ingest", str(big), "--db", pg_lake], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{big}: events, already loaded (same content): nothing to do\n"
    assert store.published_version(pg_lake) == (loaded[0] + 1, 0)  # the refresh, one snapshot
    con = store.connect(pg_lake, read_only=True)
    assert derived_current(con)
    assert con.execute("select sum(activities) from m_person_day").fetchone()[0] == 303_000


def test_two_ruche_ingest_at_once_on_a_lake_both_land(pg_lake, tmp_path):
    """Two loaders on two machines (here two processes) write the same lake at once: the second
    waits for the first's load and refresh, then both files are in, each once, and the derived
    tables describe both."""
    from metrics.refresh import derived_current

    assert main(["ingest", str(events_file(tmp_path / "base.csv", 1000)), "--db", pg_lake]) == 0
    parts = [events_file(tmp_path / f"part{i}.csv", 20_000, first=1000 + i * 20_000) for i in range(2)]
    loads = [ingest_process(pg_lake, part) for part in parts]
    for part, load in zip(parts, loads):
        out, err = load.communicate(timeout=600)
        assert load.returncode == 0, err
        assert out.startswith(f"{part}: events, loaded in ") and "activities +20,000\n" in out, out
    con = store.connect(pg_lake, read_only=True)
    assert con.execute("select count(*), count(distinct activity_uid) from activities").fetchall() == [(41_000, 41_000)]
    assert sorted(r[0] for r in con.execute("select rows_loaded from ingest_runs").fetchall()) == [1000, 20_000, 20_000]
    assert derived_current(con)
    assert con.execute("select sum(activities) from m_person_day").fetchone()[0] == 41_000


def test_a_write_forgets_the_snapshots_older_than_a_week_and_deletes_the_files_only_they_named(tmp_path,
                                                                                               monkeypatch):
    """Every refresh rewrites the derived tables: the files of the snapshots before it would stay in
    the data folder for ever. A write keeps the snapshots of the last week (a reader pinned to one
    keeps reading), and forgets the older ones with their files."""
    url = f"ducklake:sqlite:{tmp_path}/catalog.sqlite"
    with store.writing(url) as con:
        con.execute("insert into people (person_key, person_id) select i, 'old' || i from range(100) t(i)")
    reader = store.connect(url, read_only=True)
    with store.writing(url) as con:
        con.execute("delete from people")
        con.execute("insert into people (person_key, person_id) select i, 'new' || i from range(100) t(i)")
    files = tmp_path / "catalog.sqlite.files"
    assert len(parquet_files(files)) == 2  # the week is kept: the first snapshot's file too
    assert reader.execute("select count(*), min(person_id) from people").fetchall() == [(100, "old0")]
    monkeypatch.setattr(lake, "KEEP_SNAPSHOTS_DAYS", 0)
    with store.writing(url):
        pass
    assert len(parquet_files(files)) == 1
    con = store.connect(url, read_only=True)
    assert con.execute("select count(*) from ducklake_snapshots('lake')").fetchall() == [(1,)]
    assert con.execute("select count(*), min(person_id) from people").fetchall() == [(100, "new0")]


def test_no_derived_table_holds_a_type_ducklake_lacks(sample_store):
    """DuckLake has no hugeint: ``ruche lake`` copies such a column as text, and a sum over it fails
    on the lake (the managers' teams counted by size once did). Only the activities' keys are
    128 bits wide, on purpose, and read back with ``::uhugeint``."""
    con = store.connect(sample_store, read_only=True)
    try:
        wide = con.execute("select table_name, column_name from duckdb_columns() "
                           "where data_type in ('HUGEINT', 'UHUGEINT') order by all").fetchall()
    finally:
        con.close()
    assert wide == [("activities", "activity_uid"), ("deleted_events", "activity_uid")]
