"""`ruche report`: a self-contained HTML overview for sponsors who read e-mail."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

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
    assert (f'<div class="value">{pct(q3["participation_rate"])}</div><div class="delta up">{delta:+.1f} '
            "percentage points "
            "against the period before</div>") in page
    assert f"headcount {q3['headcount']:,}\n(people employed in 2026-Q3)" in page
    assert "2025-Q4, 2026-Q4 are covered only in part by the data" in page
    ticks = re.findall(r'>(20\d\d-Q\d(?: \(partial\))?)</text>', page)
    assert ticks[:5] == ["2025-Q4 (partial)", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4 (partial)"]


#: Words a sponsor cannot be expected to know, and the words that must say what each means within
#: :data:`NEAR` characters of it (regular expressions, case-insensitive). None: never in the report.
JARGON = {
    r"\bE-I\b|E / \(E \+ I\)": r"outside the group",
    r"\bmodularity\b": r"links? (?:inside|within) (?:the|their) (?:groups?|communit)",
    r"\bGini\b": r"0 (?:when|if) (?:everybody|everyone)|equal",
    r"\bsilos?\b": r"link(?:s)? (?:two different groups|them to someone outside)",
    r"\bcohorts?\b": r"arrived in",
    r"\bmedian\b": r"half",
    r"\bpercentile\b|\bp90\b|\bquantile": r"nine in ten|90% of",
    r"\bLouvain\b": None,
    r"\b(?:betweenness|centrality|k-core)\b": r"bridge|connect",
    r"\bpts\b": None,
    r"\bgroup-by\b|\battribute\b": None,
    r"\bsuppress": r"fewer than",
    r"\bpartial\b": r"only in part",
}
NEAR = 400


def visible_text(page: str) -> str:
    """The report's words as a reader meets them: tags dropped, the charts' SVG text kept (titles,
    axes, legends), entities decoded."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def unexplained(text: str) -> list[str]:
    """Each jargon term of ``text`` with no meaning within :data:`NEAR` characters of it.

    >>> unexplained("Modularity 0.41. Cross-silo share: the interactions that link two different groups.")
    ['Modularity']
    """
    missing = []
    for term, meaning in JARGON.items():
        for hit in re.finditer(term, text, flags=re.I):
            around = text[max(0, hit.start() - NEAR):hit.end() + NEAR]
            if meaning is None or not re.search(meaning, around, flags=re.I):
                missing.append(hit.group(0))
    return missing


@pytest.mark.parametrize("text, missing", [
    ("Modularity 0.41.", ["Modularity"]),
    ("Gini 0.62: 0 when everybody contributes as much, 1 when one person does it all.", []),
    ("E-I index -0.3.", ["E-I"]),
    ("+1.9 pts against the period before", ["pts"]),
    ("by the group-by attribute", ["group-by", "attribute"]),
    ("Cross-silo share 16%: the interactions that link two different groups (each department a group).", []),
])
def test_the_jargon_check_catches_a_term_without_its_meaning(text, missing):
    assert unexplained(text) == missing


def test_the_report_says_what_each_term_means(sample_store, tmp_path):
    """Plain words: every term a sponsor may not know (E-I, modularity, Gini, silo, cohort,
    percentile...) has its one-line meaning beside it, and no abbreviation is left to guess."""
    out = tmp_path / "plain.html"
    done = report(sample_store, out, config=DEMO_CONFIG)
    assert done.returncode == 0, done.stderr
    text = visible_text(out.read_text(encoding="utf-8"))
    assert unexplained(text) == []
    # the terms it does use, each with its meaning
    assert "Cross-silo share" in text and "link two different groups (each department a group)" in text
    assert "percentage points against the period before" in text and "pts" not in text
    assert out.stat().st_size < 1_000_000
