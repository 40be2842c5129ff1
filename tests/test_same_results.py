"""bench/same_results.py: the check that a speed change of the refresh left every stored result
as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

import ingest
from ruche.config import Settings

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "same_results.py"


def run(a: Path, b: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True, timeout=300)


def test_the_same_results_pass_and_one_changed_frame_fails(tiny_store, tmp_path):
    ingest.refresh_derived(str(tiny_store), Settings())
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(tiny_store, copy)
    same = run(tiny_store, copy)
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.startswith("the same stored results (0 frames stored in other bytes)")

    con = duckdb.connect(str(copy))
    keys = [k for k, in con.execute("select key from m_results where key like '[\"participation\"%' order by key").fetchall()]
    # one result's frame swapped for another's: a figure changed without a word
    con.execute("update m_results set rows = (select rows from m_results where key = $b) where key = $a",
                {"a": keys[0], "b": keys[-1]})
    con.close()
    changed = run(tiny_store, copy)
    assert changed.returncode == 1
    assert f"{keys[0]}: the frame differs" in changed.stdout
    assert changed.stdout.rstrip().endswith("1 difference")
