"""Shared fixtures: tiny stores built in the test, and a store built from the bundled sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ruche import store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_key(monkeypatch, tmp_path_factory):
    """Every test pseudonymises under a throw-away key, never the user's own key file."""
    monkeypatch.setenv("RUCHE_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
    monkeypatch.delenv("RUCHE_DB", raising=False)
    monkeypatch.delenv("RUCHE_CONFIG", raising=False)
    # the command line speaks the environment's language (ruche.i18n.cli_language): English unless a test says
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def build_tiny_store(path: Path) -> Path:
    """Twelve people in two departments over two months, with hand-known figures.

    Sales (6 people, 1..6), Legal (6 people, 7..12), one external guest (13).
    2026-01: 1 posts, 2 replies to 1, 7 reacts to 1, 13 (guest) replies to 1.
    2026-02: 1 posts, 3 posts, 8 reads (usage report), 9 joins.
    Person 12 left on 2026-01-20 (in January's headcount, not February's);
    person 11 was hired on 2026-02-10 (in February's headcount only).
    """
    with store.writing(path) as con:
        con.execute(
            """
            insert into people (person_key, person_id, in_directory, is_external, department, level,
                                frontline, hired_on, left_on)
            select i, 'p' || i, i <= 12, i = 13,
                   case when i <= 6 then 'Sales' when i <= 12 then 'Legal' end,
                   case when i in (1, 7) then 'manager' else 'staff' end,
                   i in (5, 6),
                   case when i = 11 then date '2026-02-10' end,
                   case when i = 12 then date '2026-01-20' end
            from range(1, 14) t(i)
            """
        )
        con.execute(
            """
            insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id)
            values (1, 't', '2026-01-05 10:00', 1, 'post', null, 1),
                   (2, 't', '2026-01-06 10:00', 2, 'reply', 1, 1),
                   (3, 't', '2026-01-07 10:00', 7, 'reaction', 1, 1),
                   (4, 't', '2026-01-08 10:00', 13, 'reply', 1, 1),
                   (5, 't', '2026-02-02 10:00', 1, 'post', null, 1),
                   (6, 't', '2026-02-03 10:00', 3, 'post', null, 1),
                   (7, 't', '2026-02-04 10:00', 9, 'join', null, 1)
            """
        )
        con.execute(
            """
            insert into usage_snapshots (source, person_key, report_date, period_days, read_count,
                                         liked_count, posted_count, run_id)
            values ('m365', 8, '2026-02-28', 30, 12, 0, 0, 1)
            """
        )
    return path


@pytest.fixture
def tiny_store(tmp_path) -> Path:
    return build_tiny_store(tmp_path / "tiny.duckdb")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A store built by `ruche demo --no-serve` from the bundled sample company (once per run)."""
    db = tmp_path_factory.mktemp("demo") / "ruche-demo.duckdb"
    env = dict(os.environ, RUCHE_KEY="ab" * 32)
    done = subprocess.run(
        [sys.executable, "-m", "ruche.cli", "demo", "--no-serve", "--db", str(db)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Demo store" in done.stderr and "ready" in done.stderr
    return db
