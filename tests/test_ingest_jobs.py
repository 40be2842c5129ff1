"""Jobs: recognising sources, several paths in one publish, the watched folder, the lock."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import ingest
from ingest.cli import EXIT_BUSY, watch
from ruche.cli import main
from ruche.config import Settings
from ruche.store import writing

FIXTURES = Path(__file__).parent / "fixtures"
REAL_SLACK = Path(__file__).resolve().parents[2] / "shared" / "real" / "slack-export-small.zip"
M365 = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,"
        "Posted Count,Read Count,Liked Count,Assigned Products,Report Period\n"
        "2024-03-10,a@acme.com,A,Active,,2024-03-09,1,2,3,X,30\n")


def test_detect_every_source(tmp_path):
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
    (tmp_path / "m365.csv").write_text("\ufeff" + M365)
    (tmp_path / "ev.csv").write_text("occurred_at,actor,kind\n2024-01-01,a@acme.com,post\n")
    assert ingest.detect(tmp_path / "hr.csv") == "directory"
    assert ingest.detect(tmp_path / "m365.csv") == "m365-engage-activity"
    assert ingest.detect(tmp_path / "ev.csv") == "events"
    assert ingest.detect(FIXTURES / "mattermost-small.jsonl") == "mattermost"
    assert ingest.detect(FIXTURES / "viva-engage-small") == "viva-engage"
    if REAL_SLACK.exists():
        assert ingest.detect(REAL_SLACK) == "slack"


def test_several_paths_are_one_publish_in_dependency_order(tmp_path):
    (tmp_path / "m365.csv").write_text(M365)
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
    db = tmp_path / "s.duckdb"
    summaries = ingest.load([tmp_path / "m365.csv", tmp_path / "hr.csv"], db=db, settings=Settings())
    assert [s.source for s in summaries] == ["directory", "m365-engage-activity"]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*), count(*) filter (in_directory) from people").fetchone() == (1, 1)


def test_command_line_exit_codes(tmp_path, capsys):
    (tmp_path / "hr.csv").write_text("id,email,department,level\nE1,a@acme.com,Sales,staff\nE2,b@acme.com,IT,boss\n")
    db = str(tmp_path / "s.duckdb")
    assert main(["ingest", str(tmp_path / "hr.csv"), "--db", db]) == 3  # loaded with a reject
    assert main(["ingest", str(tmp_path / "hr.csv"), "--db", db]) == 0  # nothing new
    out = capsys.readouterr().out
    assert "already loaded" in out
    with writing(db):  # another load holds the store
        assert main(["ingest", "--no-wait", "events", str(FIXTURES / "malformed" / "events-bad-dates.csv"),
                     "--db", db]) == EXIT_BUSY


def _args(**kw):
    defaults = dict(settle=0.0, interval=None, as_of=None, progress=False, json=False)
    defaults.update(kw)
    return argparse.Namespace(**defaults)


def test_watch_loads_new_files_only_and_reports_bad_ones(tmp_path, capsys):
    drop = tmp_path / "drop"
    drop.mkdir()
    db = tmp_path / "s.duckdb"
    settings = Settings(values={"db": str(db)})
    (drop / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
    (drop / "export.part").write_text("still being written")
    assert watch(drop, settings, _args()) == 0
    assert "hr.csv: directory, loaded" in capsys.readouterr().out
    assert watch(drop, settings, _args()) == 0  # nothing new: the store is not even rewritten
    assert capsys.readouterr().out == ""
    shutil.copy(FIXTURES / "mattermost-small.jsonl", drop / "mm.jsonl")
    shutil.copy(FIXTURES / "malformed" / "unknown-format.csv", drop / "junk.csv")
    assert watch(drop, settings, _args()) == 1  # one bad file: a person must look
    captured = capsys.readouterr()
    assert "mm.jsonl: mattermost, loaded" in captured.out
    assert "junk.csv, line 1: not a format Ruche knows" in captured.err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from loaded_files").fetchone()[0] == 2


def test_two_watchers_at_once(tmp_path):
    """The second watcher on the same store finds the first running and leaves at once."""
    drop = tmp_path / "drop"
    drop.mkdir()
    db = tmp_path / "s.duckdb"
    env = dict(os.environ, RUCHE_DB=str(db))
    cmd = [sys.executable, "-m", "ruche.cli", "ingest", "--watch", str(drop), "--interval", "0.2", "--settle", "0"]
    root = Path(__file__).resolve().parents[1]
    first = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)
        second = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0
        assert "another --watch is running" in second.stderr
        (drop / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if db.exists():
                con = duckdb.connect(str(db), read_only=True)
                n = con.execute("select count(*) from people").fetchone()[0]
                con.close()
                if n == 1:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the watcher did not load the dropped file")
    finally:
        first.kill()
        first.wait()
