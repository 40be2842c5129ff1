"""`ruche report`: a self-contained HTML overview for sponsors who read e-mail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl

from dashboard.format import pct
from metrics import registry
from ruche import store

DEMO_CONFIG = str(Path(__file__).resolve().parents[1] / "dashboard" / "demo.toml")


def report(db: Path, out: Path, *args: str, config: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if config:
        env["RUCHE_CONFIG"] = config
    return subprocess.run([sys.executable, "-m", "ruche.cli", "report", "--db", str(db), "--out", str(out), *args],
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_report_holds_the_overview_figures_and_its_own_plotly(sample_store, tmp_path):
    out = tmp_path / "report.html"
    done = report(sample_store, out, config=DEMO_CONFIG)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    con = store.connect(sample_store, read_only=True)
    org = registry.get("participation")(con, registry.MetricParams(by="organisation")).rows
    last = org.row(-1, named=True)
    assert f'<div class="value">{pct(last["participation_rate"])}</div>' in page
    assert f'<div class="value">{pct(last["contribution_rate"])}</div>' in page
    assert "Target 80.0% by 2026-12-31" in page
    assert "Marketing (pilot)" in page  # the phase of each group beside its curve
    assert "<script" not in page  # the charts are drawn inside the file: it opens offline
    assert page.count('<div class="wide"><svg') == page.count('<div class="narrow"><svg') == 2


def test_the_report_covers_the_range_asked_for(sample_store, tmp_path):
    out = tmp_path / "spring.html"
    done = report(sample_store, out, "--from", "2026-03-01", "--to", "2026-06-30")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "2026-03 to 2026-06" in page
    assert "class=\"target\"" not in page  # no roadmap configured for this run
    periods = set(re.findall(r'>(20\d\d-\d\d)</text>', page))  # the charts' ticks
    assert periods == {"2026-03", "2026-04", "2026-05", "2026-06"}


def test_hostile_group_names_are_escaped(tmp_path):
    db = tmp_path / "h.duckdb"
    with store.writing(db) as con:
        con.execute(
            "insert into people (person_key, person_id, in_directory, department) "
            "select i, 'p' || i, true, case when i <= 6 then '<script>alert(1)</script>' else 'Sales' end "
            "from range(1, 13) t(i)")
        con.execute(
            "insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
            "select i, 't', timestamp '2026-01-05' + i * interval 3 day, i, 'post', 1 from range(1, 13) t(i)")
    out = tmp_path / "r.html"
    done = report(db, out)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_store_is_refused_with_a_reason(tmp_path):
    db = tmp_path / "e.duckdb"
    with store.writing(db):
        pass
    done = report(db, tmp_path / "r.html")
    assert done.returncode == 1
    assert "nothing to report" in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_report_reads_no_figure_from_a_partial_period(sample_store, tmp_path):
    """By quarter the data (1 November 2025 to 31 October 2026) holds part of 2025-Q4 and 2026-Q4:
    the cards are 2026-Q3's, against 2026-Q2, and the chart marks both partial quarters."""
    out = tmp_path / "quarters.html"
    done = report(sample_store, out, "--period", "quarter")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    con = store.connect(sample_store, read_only=True)
    org = registry.get("participation")(con, registry.MetricParams(by="organisation", period="quarter")).rows
    con.close()
    assert org.filter(pl.col("partial"))["period"].to_list() == ["2025-Q4", "2026-Q4"]
    q3, q2 = (org.filter(pl.col("period") == p).row(0, named=True) for p in ("2026-Q3", "2026-Q2"))
    delta = 100 * (q3["participation_rate"] - q2["participation_rate"])
    assert (f'<div class="value">{pct(q3["participation_rate"])}</div><div class="delta up">{delta:+.1f} pts '
            "against the period before</div>") in page
    assert f"headcount {q3['headcount']:,}\n(people employed in 2026-Q3)" in page
    assert "2025-Q4, 2026-Q4 are covered only in part by the data" in page
    ticks = re.findall(r'>(20\d\d-Q\d(?: \(partial\))?)</text>', page)
    assert ticks[:5] == ["2025-Q4 (partial)", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4 (partial)"]
