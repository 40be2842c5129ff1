"""A load is all or nothing, and readers keep answering while it runs.

Both tests run the load in a subprocess over a generated events file large enough to take a
few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

import ingest
from ruche.config import Settings

ROOT = Path(__file__).resolve().parents[1]
ROWS = 400_000


def big_events(path: Path) -> Path:
    duckdb.execute(f"""
        copy (
            select
                strftime(timestamp '2024-01-01' + to_seconds(i * 7), '%Y-%m-%dT%H:%M:%SZ') as occurred_at,
                'user' || (i % 5000) || '@acme.com' as actor,
                case i % 3 when 0 then 'post' when 1 then 'reply' else 'reaction' end as kind,
                case when i % 3 > 0 then 'user' || ((i * 7) % 5000) || '@acme.com' end as target,
                'space' || (i % 40) as space,
                't' || (i // 4) as thread
            from range({ROWS}) t(i)
        ) to '{path}' (header)
    """)
    return path


def start_load(db: Path, path: Path, refresh: bool = True) -> subprocess.Popen:
    code = f"import ingest; ingest.load({str(path)!r}, source='events', db={str(db)!r}, refresh={refresh})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ))


def loading_file(db: Path) -> bool:
    return any(p.name.startswith(db.name + ".loading-") for p in db.parent.iterdir())


def wait_for_private_copy(db: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not loading_file(db):  # the load has opened its private copy
        assert proc.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)


def store_with_directory(folder: Path) -> Path:
    db = folder / "s.duckdb"
    (folder / "hr.csv").write_text("id,email,department\nE1,user1@acme.com,Sales\n")
    ingest.load(folder / "hr.csv", db=db, settings=Settings())
    return db


@pytest.fixture(scope="module")
def load_seconds(tmp_path_factory) -> float:
    """How long the load runs once its private copy is open, on this machine (the kills below
    land at fractions of it, whatever the machine's speed)."""
    folder = tmp_path_factory.mktemp("timed")
    db = store_with_directory(folder)
    proc = start_load(db, big_events(folder / "events.csv"), refresh=False)
    wait_for_private_copy(db, proc)
    opened = time.monotonic()
    assert proc.wait() == 0
    return time.monotonic() - opened


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.6])
def test_a_load_killed_midway_leaves_the_store_unchanged(tmp_path, load_seconds, fraction):
    db = store_with_directory(tmp_path)
    before = db.read_bytes()
    events = big_events(tmp_path / "events.csv")
    # the load alone: the refresh that follows it in the same process is a second published write,
    # and a process killed during it has already published the load
    proc = start_load(db, events, refresh=False)
    wait_for_private_copy(db, proc)
    time.sleep(fraction * load_seconds)
    if proc.poll() is not None:
        pytest.skip("the load finished before the kill: machine too fast for this delay")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if db.read_bytes() != before:
        # killed after the publish, while the process was ending: the whole load, never a part
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("select count(*) from activities").fetchone()[0] == ROWS
        con.close()
        return
    assert db.read_bytes() == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from activities").fetchone()[0] == 0
    assert con.execute("select count(*) from ingest_runs").fetchone()[0] == 1
    con.close()
    # and the next load works, the lock of the killed process gone with it
    summary = ingest.load(events, source="events", db=db, settings=Settings())
    assert summary.loaded == ROWS


READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from ruche.store import connect, published_version
    db, stop, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    seen, errors, queries = [], [], 0
    con, version = connect(db, read_only=True), published_version(db)
    while not stop.exists():
        try:
            if published_version(db) != version:   # a load was published: look at the new store
                con.close()
                con, version = connect(db, read_only=True), published_version(db)
            n = con.execute("select count(*) from activities").fetchone()[0]
            queries += 1
            if not seen or seen[-1] != n:
                seen.append(n)
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.005)
    json.dump({"seen": seen, "errors": errors, "queries": queries}, open(out, "w"))
""")


def test_readers_keep_answering_during_a_load_and_see_it_after(tmp_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,user1@acme.com,Sales\n")
    ingest.load(tmp_path / "hr.csv", db=db, settings=Settings())
    events = big_events(tmp_path / "events.csv")
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(out)], cwd=ROOT)
    try:
        time.sleep(0.5)
        load = start_load(db, events)
        assert load.wait(timeout=120) == 0
        time.sleep(0.5)
    finally:
        stop.write_text("")
        reader.wait(timeout=30)
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert result["seen"] == [0, ROWS]  # the store before the load, then after it: never a part
    assert result["queries"] > 50
